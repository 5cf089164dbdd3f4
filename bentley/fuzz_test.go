package bentley

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeAnswer feeds arbitrary statuses, bodies and Retry-After values through the client's
// answer decoding for every response shape. It must never panic, must classify every failure as
// *Error or ErrMalformedResponse, and must never let free text into an error code.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, []byte(`{"iTwin":{"id":"x","class":"Endeavor","subClass":"Project","number":"1","displayName":"d"}}`), "")
	f.Add(404, []byte(`{"error":{"code":"iTwinNotFound","message":"Requested iTwin is not available."}}`), "")
	f.Add(429, []byte(`{"error":{"code":"RateLimitExceeded","message":"m"}}`), "30")
	f.Add(422, []byte(`{"error":{"code":"InvalidUsersRequest","message":"Cannot query users.","details":[{"code":"InvalidValue","message":"m","target":"request"}]}}`), "")
	f.Add(503, []byte(`<html>down</html>`), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(200, []byte(`{"users":[{"id":"a"},null,{"id":7}]}`), "")
	f.Add(200, []byte(`{"member":{"id":"m","roles":[{"id":"r","displayName":"R","permissions":null}]}}`), "")
	f.Add(500, []byte(`{"error":{"code":"<script>alert(1)</script>","message":"x"}}`), "-5")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		if status < 100 || status > 999 {
			return
		}
		res := &rawResponse{status: status, header: http.Header{}, body: body}
		if utf8.ValidString(retryAfter) && !strings.ContainsAny(retryAfter, "\r\n") {
			res.header.Set("Retry-After", retryAfter)
		}
		targets := []any{&itwinResponse{}, &userResponse{}, &struct {
			Member *Member `json:"member"`
		}{}, &struct {
			Users *[]User `json:"users"`
		}{}}
		for _, v := range targets {
			err := decodeAnswer(EndpointITwin, res, v)
			if err == nil {
				if status < 200 || status > 299 {
					t.Fatalf("status %d decoded without error", status)
				}
				continue
			}
			var e *Error
			switch {
			case errors.As(err, &e):
				if e.Status != status || sanitizeCode(e.Code) != e.Code || e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
					t.Fatalf("bad *Error %#v", e)
				}
			case errors.Is(err, ErrMalformedResponse):
				if status < 200 || status > 299 {
					t.Fatalf("status %d reported as malformed", status)
				}
			default:
				t.Fatalf("unclassified error %v", err)
			}
		}
	})
}
