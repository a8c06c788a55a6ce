// Package contract is services-contract.yaml: what the real Nova programs
// need to start, listen, report health and stop, at the build the
// nova-services chart is made for. The chart tests check every rendered
// service against it; the stand-in service (tests/standin) behaves as it says.
package contract

import (
	_ "embed"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed services-contract.yaml
var raw []byte

// Contract is the whole file.
type Contract struct {
	Build     string
	Commit    string
	User      int64
	Group     int64
	UserName  string `json:"userName"` // the images' USER, a name
	Programs  map[string]Program
	NeverRead []string `json:"neverRead"`
}

// Program is one Nova binary.
type Program struct {
	Image    string
	Cmd      []string          // the image's CMD
	ImageEnv map[string]string `json:"imageEnv"` // env the image bakes in
	Listen   struct {
		PortEnv     string `json:"portEnv"`
		HostEnv     string `json:"hostEnv"`
		DefaultPort int    `json:"defaultPort"`
	}
	Health    string
	Probes    map[string]string // liveness, readiness -> path
	RateLimit *RateLimit        `json:"rateLimit"`
	Metrics   string            // path of Prometheus metrics, "" for none
	// Required: each entry is one variable or alternatives (one is enough).
	Required         []Alternatives
	RequiredWith     map[string][]string `json:"requiredWith"`
	ReachableAtStart []string            `json:"reachableAtStart"`
	Reads            []string            // variables the code reads; an entry ending in * is a prefix
	Migrations       struct {
		Env          map[string]string `json:"env"` // "!x": any value but x
		BeforeListen bool              `json:"beforeListen"`
		Always       bool              `json:"always"`
		OwnDatabase  bool              `json:"ownDatabase"`
	}
	Writes  []string
	Sigterm struct {
		Graceful         bool `json:"graceful"`
		WorstCaseSeconds int  `json:"worstCaseSeconds"`
	}
}

// RateLimit is a limiter in front of every HTTP route, probes included.
type RateLimit struct {
	Requests      int
	WindowSeconds int `json:"windowSeconds"`
}

// Alternatives is one variable, or several of which one is enough.
type Alternatives []string

// UnmarshalJSON takes a string or a list of strings.
func (a *Alternatives) UnmarshalJSON(b []byte) error {
	var one string
	if err := yaml.Unmarshal(b, &one); err == nil {
		*a = []string{one}
		return nil
	}
	var many []string
	err := yaml.Unmarshal(b, &many)
	*a = many
	return err
}

// Load parses the embedded contract, strictly.
func Load() (Contract, error) {
	var c Contract
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return c, fmt.Errorf("services-contract.yaml: %w", err)
	}
	if len(c.Programs) == 0 || c.Build == "" {
		return c, fmt.Errorf("services-contract.yaml lists %d programs, build %q", len(c.Programs), c.Build)
	}
	return c, nil
}

// ProgramOf finds the program an image (repository[:tag]) runs.
func (c Contract) ProgramOf(image string) (string, Program, bool) {
	repo := image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo = image[:i]
	}
	for name, p := range c.Programs {
		if p.Image != "" && p.Image == repo {
			return name, p, true
		}
	}
	return "", Program{}, false
}

// Matches says whether name is in list, where an entry ending in * is a prefix.
func Matches(list []string, name string) bool {
	for _, e := range list {
		if e == name || (strings.HasSuffix(e, "*") && strings.HasPrefix(name, strings.TrimSuffix(e, "*"))) {
			return true
		}
	}
	return false
}

// MigratesAt says whether the program migrates at start with this env
// (lookup returns a variable's value and whether it is set).
func (p Program) MigratesAt(lookup func(string) (string, bool)) bool {
	if p.Migrations.Always {
		return true
	}
	if len(p.Migrations.Env) == 0 {
		return false
	}
	for name, want := range p.Migrations.Env {
		got, _ := lookup(name)
		if not, ok := strings.CutPrefix(want, "!"); ok {
			if got == not {
				return false
			}
		} else if got != want {
			return false
		}
	}
	return true
}
