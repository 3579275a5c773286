package ratelimit

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		header  IPHeader
		v6      int
		remote  string
		xff     []string
		fwd     []string
		wantKey string
	}{
		{name: "peer", remote: "203.0.113.5:1234", wantKey: "203.0.113.5"},
		{name: "no trusted proxies: X-Forwarded-For ignored", remote: "203.0.113.5:1234", xff: []string{"198.51.100.1"}, wantKey: "203.0.113.5"},
		{name: "untrusted peer: X-Forwarded-For ignored", trusted: []string{"10.0.0.0/8"}, remote: "203.0.113.5:1234", xff: []string{"198.51.100.1"}, wantKey: "203.0.113.5"},
		{name: "trusted peer", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1234", xff: []string{"198.51.100.1"}, wantKey: "198.51.100.1"},
		{name: "rightmost untrusted hop wins", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1", xff: []string{"6.6.6.6, 198.51.100.1"}, wantKey: "198.51.100.1"},
		{name: "trusted hops are skipped", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1", xff: []string{"198.51.100.1, 10.0.0.2, 10.0.0.3"}, wantKey: "198.51.100.1"},
		{name: "several header lines", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1", xff: []string{"6.6.6.6, 198.51.100.1", "10.0.0.2"}, wantKey: "198.51.100.1"},
		{name: "all hops trusted: the leftmost", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1", xff: []string{"10.0.0.3, 10.0.0.2"}, wantKey: "10.0.0.3"},
		{name: "garbage stops the walk at the last trusted hop", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1", xff: []string{"garbage, 10.0.0.2"}, wantKey: "10.0.0.2"},
		{name: "empty header: the peer", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1", wantKey: "10.0.0.1"},
		{name: "hop with a port", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1", xff: []string{"198.51.100.1:4444"}, wantKey: "198.51.100.1"},
		{name: "single trusted address", trusted: []string{"127.0.0.1"}, remote: "127.0.0.1:1", xff: []string{"198.51.100.1"}, wantKey: "198.51.100.1"},
		{name: "IPv6 peer counted per /64", remote: "[2001:db8:1:2:3:4:5:6]:443", wantKey: "2001:db8:1:2::/64"},
		{name: "IPv6 peer per address", v6: 128, remote: "[2001:db8::1]:443", wantKey: "2001:db8::1"},
		{name: "IPv4-mapped IPv6 peer", remote: "[::ffff:192.0.2.1]:80", wantKey: "192.0.2.1"},
		{name: "trusted IPv6 proxy", trusted: []string{"fd00::/8"}, remote: "[fd00::1]:80", xff: []string{"2001:db8::7"}, wantKey: "2001:db8::/64"},
		{name: "Forwarded", header: Forwarded, trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1",
			fwd: []string{`for=6.6.6.6, for=198.51.100.1;proto=https;by=10.0.0.1`}, wantKey: "198.51.100.1"},
		{name: "Forwarded quoted IPv6 with port", header: Forwarded, v6: 128, trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1",
			fwd: []string{`for="[2001:db8:cafe::17]:4711"`}, wantKey: "2001:db8:cafe::17"},
		{name: "Forwarded unknown stops the walk", header: Forwarded, trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1",
			fwd: []string{`for=198.51.100.1, for=unknown`}, wantKey: "10.0.0.1"},
		{name: "Forwarded element without for", header: Forwarded, trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1",
			fwd: []string{`for=198.51.100.1, proto=https`}, wantKey: "10.0.0.1"},
		{name: "Forwarded comma inside quotes", header: Forwarded, trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1",
			fwd: []string{`for=198.51.100.1;ext="a,b"`}, wantKey: "198.51.100.1"},
		{name: "Forwarded mode ignores X-Forwarded-For", header: Forwarded, trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1",
			xff: []string{"198.51.100.1"}, wantKey: "10.0.0.1"},
		{name: "X-Forwarded-For mode ignores Forwarded", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.1:1",
			fwd: []string{"for=198.51.100.1"}, wantKey: "10.0.0.1"},
		{name: "peer that is not an IP", remote: "@unix", wantKey: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v6 := tt.v6
			if v6 == 0 {
				v6 = 64
			}
			res := &ipResolver{cidrs: tt.trusted, header: tt.header, v6Prefix: v6}
			if err := res.build(); err != nil {
				t.Fatal(err)
			}
			req := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
			if tt.xff != nil {
				req.Header["X-Forwarded-For"] = tt.xff
			}
			if tt.fwd != nil {
				req.Header["Forwarded"] = tt.fwd
			}
			if got := res.keyOf(clientIP(req, res.own), ""); got != tt.wantKey {
				t.Errorf("key = %q, want %q", got, tt.wantKey)
			}
		})
	}
}

func BenchmarkClientIP(b *testing.B) {
	res := &ipResolver{cidrs: []string{"10.0.0.0/8"}, v6Prefix: 64}
	if err := res.build(); err != nil {
		b.Fatal(err)
	}
	req := &http.Request{RemoteAddr: "10.0.0.1:1234", Header: http.Header{"X-Forwarded-For": {"198.51.100.1, 10.0.0.2"}}}
	b.ReportAllocs()
	for b.Loop() {
		if res.keyOf(clientIP(req, res.own), "") != "198.51.100.1" {
			b.Fatal("wrong key")
		}
	}
}

func TestIPv4Host(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"203.0.113.5:80", "203.0.113.5", true},
		{"0.0.0.0:1", "0.0.0.0", true},
		{"255.255.255.255:65535", "255.255.255.255", true},
		{"256.1.1.1:80", "", false},
		{"01.2.3.4:80", "", false},
		{"1.2.3:80", "", false},
		{"1.2.3.4.5:80", "", false},
		{"1..3.4:80", "", false},
		{"[::1]:80", "", false},
		{"1.2.3.4", "", false},
		{"a.b.c.d:80", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ipv4Host(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ipv4Host(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
