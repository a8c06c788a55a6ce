package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/nova-platform/nova/tests/cluster"
)

// TestDeployBenchmark is `make bench-deploy`: on one running cluster, 5
// rounds each of `nova-installer deploy --profile local` and `helm install`
// of the same chart with the same values, each into a fresh namespace and
// waiting for readiness, alternating so drift hits both alike.
func TestDeployBenchmark(t *testing.T) {
	if os.Getenv("NOVA_BENCH_DEPLOY") != "1" {
		t.Skip("a benchmark: run it with make bench-deploy")
	}
	const rounds = 5
	e := newEnv(t, 3)
	root := cluster.RepoRoot()
	var installer, helm []time.Duration
	for i := 1; i <= rounds; i++ {
		start := time.Now()
		e.mustSucceed(t, e.installer(t, "deploy", "--profile", "local", "-n", fmt.Sprintf("bench-installer-%d", i),
			"--create-namespace", "--timeout", "3m"))
		installer = append(installer, time.Since(start))
		e.requireAllReady(t, fmt.Sprintf("bench-installer-%d", i))

		start = time.Now()
		e.mustSucceed(t, e.helm(t, "install", "nova", filepath.Join(root, "charts", "nova"),
			"-f", filepath.Join(root, "values", "local.yaml"), "-n", fmt.Sprintf("bench-helm-%d", i),
			"--create-namespace", "--wait", "--timeout", "3m"))
		helm = append(helm, time.Since(start))
		e.requireAllReady(t, fmt.Sprintf("bench-helm-%d", i))
	}
	mi, mh := median(installer), median(helm)
	fmt.Printf("\nDeploy of the local profile, %d rounds each, on the simulated 3-node cluster (kwok):\n\n", rounds)
	fmt.Printf("| command | min / median / max |\n|---|---|\n")
	fmt.Printf("| nova-installer deploy --profile local | %s |\n", spread(installer))
	fmt.Printf("| helm install -f values/local.yaml --wait | %s |\n", spread(helm))
	fmt.Printf("\nmedian ratio installer/helm: %.2f (target <= 1.10)\n", mi.Seconds()/mh.Seconds())
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func spread(ds []time.Duration) string {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return fmt.Sprintf("%.2f / %.2f / %.2f s", s[0].Seconds(), median(s).Seconds(), s[len(s)-1].Seconds())
}
