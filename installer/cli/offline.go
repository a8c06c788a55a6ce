package cli

import (
	"io"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/values"
)

// offlineConfig renders without a cluster, like `helm template`.
func offlineConfig() (*action.Configuration, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = release.KubeVersion
	return &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: caps,
		Log:          func(string, ...any) {},
	}, nil
}

// badInput marks an error as the user's input (exit code 2).
func badInput(err error) error { return values.BadInputError{Err: err} }
