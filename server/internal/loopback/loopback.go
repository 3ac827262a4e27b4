// Package loopback tells requests from this machine, addressed to this
// machine, from the rest: what the admin API and the console serve when no
// admin token is set.
package loopback

import (
	"net"
	"strings"
)

// Peer reports whether a request's RemoteAddr is a loopback address.
func Peer(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Host reports whether a Host header names this machine: localhost,
// 127.0.0.0/8 or [::1], with or without a port. A page whose name was
// rebound to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
func Host(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
