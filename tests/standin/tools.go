package standin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ToolCommand, as the first argument (`/app/user-service standin get URL`),
// runs one of the stand-in's test commands inside a pod instead of the
// program: what the proving ground checks from a service's own network
// namespace, with its own environment.
const ToolCommand = "standin"

const toolUsage = `usage: <program> standin get URL
       <program> standin sentinel SENTINEL_ADDR MASTER_NAME`

// toolTimeout bounds every test command.
const toolTimeout = 10 * time.Second

func tool(args []string, env Env, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	var err error
	switch {
	case len(args) == 2 && args[0] == "get":
		err = toolGet(ctx, args[1], stdout)
	case len(args) == 3 && args[0] == "sentinel":
		err = toolSentinel(ctx, env, args[1], args[2], stdout)
	default:
		fmt.Fprintln(stderr, toolUsage)
		return ExitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "nova-standin:", err)
		return 1
	}
	return 0
}

// toolGet prints the status and body of GET url; a status other than 2xx
// is a failure.
func toolGet(ctx context.Context, url string, stdout io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "HTTP %d\n%s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

// toolSentinel is a Sentinel-aware client (go-redis's failover client)
// given only the Sentinel address and the master name, with the password
// of REDIS_URL (the chart's Sentinels require the same one): it prints the
// master the Sentinels name and makes one write and read through it.
func toolSentinel(ctx context.Context, env Env, addr, master string, stdout io.Writer) error {
	password := ""
	if u, ok := env("REDIS_URL"); ok && u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		password = opt.Password
	}
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: addr, Password: password, MaxRetries: -1})
	defer sentinel.Close()
	where, err := sentinel.GetMasterAddrByName(ctx, master).Result()
	if err != nil {
		return fmt.Errorf("SENTINEL get-master-addr-by-name %s at %s: %w", master, addr, err)
	}
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: master, SentinelAddrs: []string{addr},
		SentinelPassword: password, Password: password, MaxRetries: 2})
	defer c.Close()
	key := "standin:sentinel-client"
	value := time.Now().UTC().Format(time.RFC3339Nano)
	if err := c.Set(ctx, key, value, time.Hour).Err(); err != nil {
		return fmt.Errorf("SET through the failover client: %w", err)
	}
	got, err := c.Get(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("GET through the failover client: %w", err)
	}
	if got != value {
		return fmt.Errorf("GET through the failover client: %q, want %q", got, value)
	}
	fmt.Fprintf(stdout, "master %s:%s\nwrite and read through the failover client: ok\n", where[0], where[1])
	return nil
}
