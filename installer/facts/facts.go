// Package facts is what nova-installer relies on about the objects the charts
// render: label keys and values, the tier of each chart, the Redis
// components, container and port that status and logs use, and the Pod
// Security labels of the namespaces it creates. They are defined here once;
// tests/charts checks every one against a render of the charts, so a rename
// in a chart fails that test instead of the installer in a cluster.
package facts

import "k8s.io/apimachinery/pkg/labels"

// Label keys every object of the charts carries (nova-common.labels).
const (
	LabelName      = "app.kubernetes.io/name"      // the chart: redis-sentinel, postgres-ha, nova-services
	LabelInstance  = "app.kubernetes.io/instance"  // the release
	LabelComponent = "app.kubernetes.io/component" // redis, sentinel, postgres, etcd, <service>...
	LabelPartOf    = "app.kubernetes.io/part-of"
	PartOf         = "nova"
)

// The charts of the tiers, and the tier each one is.
const (
	ChartRedis    = "redis-sentinel"
	ChartPostgres = "postgres-ha"
	ChartServices = "nova-services"
)

// Tiers maps a chart (LabelName) to its tier's name in status and progress.
var Tiers = map[string]string{ChartRedis: "redis", ChartPostgres: "database", ChartServices: "services"}

// TierOrder is the order tiers are listed in.
var TierOrder = map[string]int{"redis": 0, "database": 1, "services": 2}

// The Redis tier: the component of the Redis pods, the Sentinel container
// in them and its port's name.
const (
	ComponentRedis    = "redis"
	ComponentSentinel = "sentinel"
	SentinelContainer = "sentinel"
	SentinelPort      = "sentinel"
)

// ComponentMetrics is the component of the exporters' Services, which status
// does not list as endpoints.
const ComponentMetrics = "metrics"

// The PostgreSQL leader: Patroni's Kubernetes callback labels its pod.
const (
	LabelRole   = "role"
	RolePrimary = "primary"
)

// PodSecurity are the labels of the namespaces the installer and the
// umbrella chart create: the API server rejects any pod that is not
// "restricted", which the charts are built for.
var PodSecurity = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
}

// Release selects every object of a release.
func Release(release string) string {
	return labels.Set{LabelInstance: release}.String()
}

// ReleaseData selects the credentials a release generates (labelled part-of).
func ReleaseData(release string) string {
	return labels.Set{LabelInstance: release, LabelPartOf: PartOf}.String()
}

// Component selects the pods of one component of a release, any chart.
func Component(release, component string) string {
	return labels.Set{LabelInstance: release, LabelComponent: component}.String()
}

// ChartComponent selects one component of one chart of a release.
func ChartComponent(release, chart, component string) string {
	return labels.Set{LabelInstance: release, LabelName: chart, LabelComponent: component}.String()
}

// RoleMaster is the role label value of the Redis master's pod, which the
// role-label sidecar of the redis-sentinel chart maintains.
const RoleMaster = "master"

// RedisMaster selects the Redis pod labelled master.
func RedisMaster(release string) string {
	return labels.Set{LabelInstance: release, LabelName: ChartRedis, LabelComponent: ComponentRedis, LabelRole: RoleMaster}.String()
}

// PostgresLeader selects the pod Patroni labelled leader.
func PostgresLeader(release string) string {
	return labels.Set{LabelInstance: release, LabelName: ChartPostgres, LabelRole: RolePrimary}.String()
}
