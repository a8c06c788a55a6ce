package cli

import (
	"fmt"

	"github.com/spf13/pflag"
	helmvalues "helm.sh/helm/v3/pkg/cli/values"

	"github.com/nova-platform/nova/installer/chartsource"
	"github.com/nova-platform/nova/installer/release"
	"github.com/nova-platform/nova/installer/values"
)

// renderOptions are the inputs deploy, template and preflight share: the
// profile, the values flags (bound onto helm's own values options) and the
// chart, for a release.
type renderOptions struct {
	releaseOptions
	Profile string
	Values  helmvalues.Options
	Chart   chartsource.Options
}

func newRenderOptions(streams Streams) renderOptions {
	return renderOptions{releaseOptions: newReleaseOptions(streams)}
}

func (o *renderOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Profile, "profile", "", "profile: local, staging, production, or a values file path (default on upgrade: the recorded one)")
	fs.StringSliceVarP(&o.Values.ValueFiles, "values", "f", nil, "values file (repeatable; later files win)")
	fs.StringArrayVar(&o.Values.Values, "set", nil, "set a value (key=value; wins over files)")
	fs.StringArrayVar(&o.Values.StringValues, "set-string", nil, "set a STRING value")
	fs.StringArrayVar(&o.Values.FileValues, "set-file", nil, "set a value from a file (key=path)")
	fs.StringArrayVar(&o.Values.JSONValues, "set-json", nil, "set a JSON value (key=json)")
	fs.StringVar(&o.Chart.Ref, "chart", "", "chart: a directory, a .tgz, repo/name (with --repo) or oci://... (default: the charts built into this binary)")
	fs.StringVar(&o.Chart.Version, "version", "", "chart version constraint (repositories and registries)")
	fs.StringVar(&o.Chart.RepoURL, "repo", "", "chart repository URL")
	fs.BoolVar(&o.Chart.PlainHTTP, "plain-http", false, "use plain HTTP for an OCI registry")
	addReleaseFlag(fs, &o.Release)
}

// completeOffline is complete for a render that contacts no cluster (a
// template, a dry run, the preflight's render).
func (o *renderOptions) completeOffline(env *Env) {
	o.env, o.Namespace, o.Config = env, env.namespace(), release.Offline()
}

// resolve merges the values over the profile and loads the chart into d.
func (o *renderOptions) resolve(d *release.DeployOptions) error {
	in := values.Inputs{Flags: o.Values}
	d.Release, d.Namespace, d.Profile = o.Release, o.Namespace, ""
	if o.Profile != "" {
		p, err := values.ResolveProfile(o.env.Profiles, o.Profile)
		if err != nil {
			return err
		}
		in.Profile = &p
		d.Profile = p.Label()
	}
	vals, err := values.Merge(in)
	if err != nil {
		return err
	}
	l := &chartsource.Loader{Embedded: o.env.Charts, Settings: o.env.Settings}
	c, err := l.Load(o.Chart)
	if err != nil {
		return fmt.Errorf("load chart: %w", err)
	}
	d.Chart, d.Values = c, vals
	return release.CheckValues(c, vals)
}
