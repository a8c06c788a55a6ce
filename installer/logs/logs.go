// Package logs streams the logs of every pod of one Nova component (any
// tier), each line prefixed with its pod and container.
package logs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/nova-platform/nova/installer/facts"
)

// Options say whose logs and how many.
type Options struct {
	Release string
	// Namespaces are where the release's pods are looked for: the release's
	// (release.Namespaces), not every namespace, where a release of the same
	// name may live too.
	Namespaces []string
	Component  string // user-service, redis, sentinel, haproxy, postgres, etcd, ...
	Container  string // "" = every container
	Follow     bool
	Since      time.Duration
	Tail       int64 // < 0 = all
}

// aliases: names users say for a container of another component's pods.
var aliases = map[string][2]string{facts.ComponentSentinel: {facts.ComponentRedis, facts.SentinelContainer}}

// Stream writes the logs of the component's pods to out.
func Stream(ctx context.Context, c kubernetes.Interface, o Options, out io.Writer) error {
	component, container := o.Component, o.Container
	if a, ok := aliases[component]; ok {
		component = a[0]
		if container == "" {
			container = a[1]
		}
	}
	sel := metav1.ListOptions{LabelSelector: facts.Component(o.Release, component)}
	var pods []corev1.Pod
	for _, ns := range o.Namespaces {
		list, err := c.CoreV1().Pods(ns).List(ctx, sel)
		if err != nil {
			return err
		}
		pods = append(pods, list.Items...)
	}
	if len(pods) == 0 {
		return fmt.Errorf("no pods of %q in release %q in namespaces %s (components: the service names, redis, sentinel, haproxy, postgres, etcd)",
			o.Component, o.Release, strings.Join(o.Namespaces, ", "))
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for _, p := range pods {
		for _, ctr := range p.Spec.Containers {
			if container != "" && ctr.Name != container {
				continue
			}
			opts := &corev1.PodLogOptions{Container: ctr.Name, Follow: o.Follow}
			if o.Since > 0 {
				s := int64(o.Since.Seconds())
				opts.SinceSeconds = &s
			}
			if o.Tail >= 0 {
				opts.TailLines = &o.Tail
			}
			prefix := fmt.Sprintf("[%s/%s] ", p.Name, ctr.Name)
			stream, err := c.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).Stream(ctx)
			if err != nil {
				return fmt.Errorf("logs of %s: %w", prefix, err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer stream.Close()
				s := bufio.NewScanner(stream)
				for s.Scan() {
					mu.Lock()
					fmt.Fprintln(out, prefix+s.Text())
					mu.Unlock()
				}
				if err := s.Err(); err != nil {
					errs <- err
				}
			}()
			if !o.Follow {
				wg.Wait() // one pod after the other, in order
			}
		}
	}
	wg.Wait()
	close(errs)
	return <-errs
}
