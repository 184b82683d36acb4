// Package hostiletest holds what the scanners' hostile-server tests share:
// a local listener that hands each connection to a test's server, one
// that never answers, an HTTP answer that never ends, the peak heap of a
// scan, a self-signed certificate (cert.go) and a fake MySQL server
// (mysql.go).
package hostiletest

import (
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Listen serves each connection to 127.0.0.1:PORT with serve (which owns
// and closes it) until the test ends; it returns HOST:PORT.
func Listen(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// Silent is a server that accepts connections and reads what comes but
// never answers; it returns HOST:PORT.
func Silent(t testing.TB) string {
	return Listen(t, func(c net.Conn) {
		defer c.Close()
		_, _ = io.Copy(io.Discard, c)
	})
}

// Drip answers an HTTP request 200 OK and then one byte of body every
// 10 ms until the client goes away: an answer that starts at once and
// never ends, so no read of it times out.
func Drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for {
		if _, err := w.Write([]byte("x")); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// PeakHeap samples the heap in use (runtime.MemStats.HeapAlloc) every
// 20 ms while f runs and returns the highest sample.
func PeakHeap(f func()) uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak.Load()
}
