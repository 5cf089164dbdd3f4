package bentley

import (
	"net"
	"net/http"
	"time"
)

// NewTransport returns a transport tuned for fanning out to one host: Go's default keeps only
// two idle connections per host, which under a batch of concurrent calls means a new TCP and
// TLS handshake for nearly every request.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Go's default is 10 MiB of headers per answer: a hostile or broken upstream could make
		// every call in flight hold that much before its body is even read.
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
}

// MaxResponseHeaderBytes bounds the headers of one platform answer; the platform's own are a
// few hundred bytes.
const MaxResponseHeaderBytes = 64 << 10

// NewTransportFor is NewTransport with an idle pool for maxConcurrency calls in flight: at least
// one idle connection per call that may be in flight. With fewer, every burst at the concurrency
// limit closes connections it opened and opens them again (the trial behind issue 13 saw 10-14 %
// more CPU per query past 256 concurrent calls with a fixed 256).
func NewTransportFor(maxConcurrency int) *http.Transport {
	t := NewTransport()
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, maxConcurrency)
	t.MaxIdleConns = max(t.MaxIdleConns, 2*maxConcurrency)
	return t
}
