package failover

// The PostgreSQL writer: one acknowledged INSERT after another through the
// primary Service, each recorded with its time, so a scenario can tell the
// longest stretch without an acknowledged write and which writes survived.

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgAck is one write that PostgreSQL acknowledged (committed).
type pgAck struct {
	id     int64
	at     time.Time
	member int
}

// pgWriter is an application: it writes one row at a time through the
// primary Service as the application role, reconnecting after an error,
// and records every acknowledged id.
type pgWriter struct {
	c      *pgCluster
	stopCh chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	acks   []pgAck
	failed int
}

func (c *pgCluster) startWriter() *pgWriter {
	w := &pgWriter{c: c, stopCh: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *pgWriter) run() {
	defer close(w.done)
	var conn *pgx.Conn
	member := -1
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-w.stopCh:
			return
		default:
		}
		if conn == nil {
			eps := w.c.endpoints("primary")
			if len(eps) == 0 {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			member = eps[mrand.IntN(len(eps))]
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			var err error
			conn, err = w.c.conn(ctx, member, true, w.c.writeDB())
			cancel()
			if err != nil {
				conn = nil
				w.fail()
				time.Sleep(20 * time.Millisecond)
				continue
			}
		}
		id := w.c.nextID.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := conn.Exec(ctx, "INSERT INTO failover_writes (id) VALUES ($1)", id)
		cancel()
		if err != nil {
			conn.Close(context.Background())
			conn = nil
			w.fail()
			continue
		}
		w.mu.Lock()
		w.acks = append(w.acks, pgAck{id: id, at: time.Now(), member: member})
		w.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *pgWriter) fail() { w.mu.Lock(); w.failed++; w.mu.Unlock() }

// firstAck waits (bounded) for the first write acknowledged after t0 by a
// member other than not.
func (w *pgWriter) firstAck(t0 time.Time, not int, timeout time.Duration) (pgAck, bool) {
	var found pgAck
	err := eventually(timeout, 10*time.Millisecond, func() error {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, a := range w.acks {
			if a.at.After(t0) && a.member != not {
				found = a
				return nil
			}
		}
		return errors.New("no write yet")
	})
	return found, err == nil
}

// stop ends the writer and returns the acknowledged ids and the longest
// time without an acknowledged write.
func (w *pgWriter) stop() (ids []int64, gap time.Duration, failed int) {
	close(w.stopCh)
	<-w.done
	for j, a := range w.acks {
		ids = append(ids, a.id)
		if j > 0 && a.at.Sub(w.acks[j-1].at) > gap {
			gap = a.at.Sub(w.acks[j-1].at)
		}
	}
	return ids, gap, w.failed
}
