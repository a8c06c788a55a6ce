package failover

// The fake Kubernetes API of the role-label callback: a TLS server that
// holds the labels of each pod, as the API server would, and the service
// account files (token, ca.crt, namespace) the callback reads.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// kubeAPI answers the pod PATCHes of role-label.sh over TLS and records the
// labels of each pod; anything else is refused and recorded as an error.
type kubeAPI struct {
	srv              *httptest.Server
	saDir            string
	token, namespace string
	mu               sync.Mutex
	podLabels        map[string]map[string]string
	patches          []labelPatch
	errors           []string
}

type labelPatch struct {
	Pod, Label, Value string
	At                time.Time
}

func (p labelPatch) String() string { return fmt.Sprintf("%s %s=%s", p.Pod, p.Label, p.Value) }

func newKubeAPI(t *testing.T, saDir, namespace string) *kubeAPI {
	t.Helper()
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	a := &kubeAPI{saDir: saDir, token: hex.EncodeToString(tok), namespace: namespace, podLabels: map[string]map[string]string{}}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
	writeFiles(t, saDir, map[string]string{"token": a.token, "ca.crt": string(ca), "namespace": namespace}, 0o644)
	return a
}

func (a *kubeAPI) serve(w http.ResponseWriter, r *http.Request) {
	refuse := func(code int, format string, args ...any) {
		a.mu.Lock()
		a.errors = append(a.errors, fmt.Sprintf("%s %s: ", r.Method, r.URL.Path)+fmt.Sprintf(format, args...))
		a.mu.Unlock()
		http.Error(w, "refused", code)
	}
	prefix := "/api/v1/namespaces/" + a.namespace + "/pods/"
	podName := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Header.Get("Authorization") != "Bearer "+a.token:
		refuse(http.StatusUnauthorized, "bad token")
		return
	case r.Method != http.MethodPatch || !strings.HasPrefix(r.URL.Path, prefix) || podName == "" || strings.Contains(podName, "/"):
		refuse(http.StatusNotFound, "not a pod patch")
		return
	case r.Header.Get("Content-Type") != "application/merge-patch+json":
		refuse(http.StatusUnsupportedMediaType, "content type %q", r.Header.Get("Content-Type"))
		return
	}
	var patch struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.NewDecoder(r.Body).Decode(&patch); err != nil || len(patch.Metadata.Labels) == 0 {
		refuse(http.StatusBadRequest, "body: %v", err)
		return
	}
	a.mu.Lock()
	if a.podLabels[podName] == nil {
		a.podLabels[podName] = map[string]string{}
	}
	for k, v := range patch.Metadata.Labels {
		a.podLabels[podName][k] = v
		a.patches = append(a.patches, labelPatch{Pod: podName, Label: k, Value: v, At: time.Now()})
	}
	labels, _ := json.Marshal(a.podLabels[podName])
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":%q,"namespace":%q,"labels":%s}}`, podName, a.namespace, labels)
}

func (a *kubeAPI) labels(podName string) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]string{}
	for k, v := range a.podLabels[podName] {
		out[k] = v
	}
	return out
}

func (a *kubeAPI) history() []labelPatch {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]labelPatch(nil), a.patches...)
}

func (a *kubeAPI) refused() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.errors...)
}
