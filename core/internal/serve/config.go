package serve

import (
	"crypto/tls"
	"net/http"
	"time"
)

// TLSConfig returns the TLS configuration of App.RunTLS: a copy of base
// (TLS 1.2 at least when base is nil) with the certificate and key files'
// pair added, and HTTP/2 offered unless base chose its protocols.
func TLSConfig(base *tls.Config, certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		cfg = base.Clone()
	}
	cfg.Certificates = append(cfg.Certificates, cert)
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	return cfg, nil
}

// H2C lets srv serve HTTP/2 without TLS (prior knowledge), besides HTTP/1
// and HTTP/2 over TLS.
func H2C(srv *http.Server) {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	p.SetHTTP2(true)
	srv.Protocols = p
}

// Override applies WithServer's durations: src[i] replaces *dst[i] when
// positive, a negative one (covet.NoTimeout) sets it to 0 (none), and 0
// keeps it.
func Override(dst []*time.Duration, src ...time.Duration) {
	for i, d := range src {
		switch {
		case d < 0:
			*dst[i] = 0
		case d > 0:
			*dst[i] = d
		}
	}
}
