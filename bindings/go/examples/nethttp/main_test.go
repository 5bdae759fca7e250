package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	uringbridge "uringbridge.dev/go"
)

func TestMain(m *testing.M) {
	fmt.Println("engine:", uringbridge.EngineName())
	os.Exit(m.Run())
}

// The example's server on uringbridge.Listen, talked to by a real
// http.Client: every route, keep-alive reuse, large bodies both ways,
// concurrent clients, and a graceful Shutdown.
func TestNetHTTPOnListen(t *testing.T) {
	l, err := uringbridge.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	base := "http://" + l.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: time.Minute}
	defer client.CloseIdleConnections()

	do := func(method, path string, body []byte) (int, []byte, bool) {
		t.Helper()
		var reused bool
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: body: %v", method, path, err)
		}
		return resp.StatusCode, got, reused
	}

	code, got, _ := do("GET", "/", nil)
	want := "Hello from net/http on uringbridge (engine " + uringbridge.EngineName() + ")\n"
	if code != 200 || string(got) != want {
		t.Fatalf("GET /: %d %q", code, got)
	}
	if _, _, reused := do("GET", "/", nil); !reused {
		t.Error("second GET did not reuse the keep-alive connection")
	}
	if code, _, _ := do("GET", "/missing", nil); code != 404 {
		t.Errorf("GET /missing: %d", code)
	}
	if code, _, _ := do("GET", "/size/abc", nil); code != 400 {
		t.Errorf("GET /size/abc: %d", code)
	}
	for _, n := range []int{0, 1, 100_000, 5 << 20} {
		code, got, _ := do("GET", fmt.Sprintf("/size/%d", n), nil)
		if code != 200 || len(got) != n || strings.Trim(string(got), "x") != "" {
			t.Fatalf("GET /size/%d: %d, %d bytes", n, code, len(got))
		}
	}
	body := make([]byte, 4<<20)
	rand.NewChaCha8([32]byte{7}).Read(body)
	if code, got, _ := do("POST", "/echo", body); code != 200 || !bytes.Equal(got, body) {
		t.Fatalf("POST /echo of %d bytes: %d, %d bytes back", len(body), code, len(got))
	}

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				msg := []byte(fmt.Sprintf("goroutine %d request %d", g, i))
				resp, err := client.Post(base+"/echo", "text/plain", bytes.NewReader(msg))
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("echo %q came back as %q, %v", msg, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	// The listener is closed: no new connection is accepted.
	if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
		c.Close()
		t.Error("connected after Shutdown")
	}
}
