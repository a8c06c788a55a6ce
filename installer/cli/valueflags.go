package cli

import (
	"fmt"

	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/chart"
	helmvalues "helm.sh/helm/v3/pkg/cli/values"

	"github.com/nova-platform/nova/installer/chartsource"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/values"
)

// renderFlags are the inputs shared by deploy and template.
type renderFlags struct {
	profile string
	flags   helmvalues.Options
	chart   chartsource.Options
	release string
}

func (r *renderFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&r.profile, "profile", "", "profile: local, staging, production, or a values file path (default on upgrade: the recorded one)")
	fs.StringSliceVarP(&r.flags.ValueFiles, "values", "f", nil, "values file (repeatable; later files win)")
	fs.StringArrayVar(&r.flags.Values, "set", nil, "set a value (key=value; wins over files)")
	fs.StringArrayVar(&r.flags.StringValues, "set-string", nil, "set a STRING value")
	fs.StringArrayVar(&r.flags.FileValues, "set-file", nil, "set a value from a file (key=path)")
	fs.StringArrayVar(&r.flags.JSONValues, "set-json", nil, "set a JSON value (key=json)")
	fs.StringVar(&r.chart.Ref, "chart", "", "chart: a directory, a .tgz, repo/name (with --repo) or oci://... (default: the charts built into this binary)")
	fs.StringVar(&r.chart.Version, "version", "", "chart version constraint (repositories and registries)")
	fs.StringVar(&r.chart.RepoURL, "repo", "", "chart repository URL")
	fs.BoolVar(&r.chart.PlainHTTP, "plain-http", false, "use plain HTTP for an OCI registry")
	r.release = "nova"
	addReleaseFlag(fs, &r.release)
}

// inputs resolves the profile and merges the values.
func (r *renderFlags) inputs(env *Env) (map[string]any, string, error) {
	in := values.Inputs{Flags: r.flags}
	name := ""
	if r.profile != "" {
		p, err := values.ResolveProfile(env.Profiles, r.profile)
		if err != nil {
			return nil, "", err
		}
		in.Profile = &p
		name = p.Label()
	}
	vals, err := values.Merge(in)
	return vals, name, err
}

// options resolves the values and loads the chart: what to deploy or render.
func (r *renderFlags) options(env *Env) (release.DeployOptions, error) {
	vals, profile, err := r.inputs(env)
	if err != nil {
		return release.DeployOptions{}, err
	}
	chrt, err := r.loadChart(env)
	if err != nil {
		return release.DeployOptions{}, err
	}
	return release.DeployOptions{Release: r.release, Namespace: env.namespace(), Chart: chrt, Values: vals, Profile: profile}, nil
}

func (r *renderFlags) loadChart(env *Env) (*chart.Chart, error) {
	l := &chartsource.Loader{Embedded: env.Charts, Settings: env.Settings}
	c, err := l.Load(r.chart)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	return c, nil
}
