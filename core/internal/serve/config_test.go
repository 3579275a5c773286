package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func writePair(t *testing.T) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLSConfig(t *testing.T) {
	certFile, keyFile := writePair(t)
	cfg, err := TLSConfig(nil, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || len(cfg.Certificates) != 1 || !slices.Equal(cfg.NextProtos, []string{"h2", "http/1.1"}) {
		t.Fatalf("default config: min %x, %d certificates, protos %v", cfg.MinVersion, len(cfg.Certificates), cfg.NextProtos)
	}
	base := &tls.Config{MinVersion: tls.VersionTLS13, NextProtos: []string{"http/1.1"}}
	cfg, err = TLSConfig(base, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg == base || len(base.Certificates) != 0 || cfg.MinVersion != tls.VersionTLS13 || !slices.Equal(cfg.NextProtos, []string{"http/1.1"}) {
		t.Fatal("the base configuration was not copied and kept")
	}
	if _, err := TLSConfig(nil, keyFile, certFile); err == nil {
		t.Fatal("a swapped pair was accepted")
	}
}

func TestH2C(t *testing.T) {
	srv := &http.Server{}
	H2C(srv)
	if p := srv.Protocols; p == nil || !p.HTTP1() || !p.HTTP2() || !p.UnencryptedHTTP2() {
		t.Fatalf("protocols %v", srv.Protocols)
	}
}

func TestOverride(t *testing.T) {
	a, b, c := time.Second, time.Second, time.Second
	Override([]*time.Duration{&a, &b, &c}, -1, 0, 5*time.Second)
	if a != 0 || b != time.Second || c != 5*time.Second {
		t.Fatalf("got %v %v %v", a, b, c)
	}
}
