package openapi

import "bytes"

// BuildsOf reports how many times the plugin built its document (tests).
func BuildsOf(p *Plugin) int64 { return p.builds.Load() }

// YAMLString renders one string as the YAML encoder does (tests).
func YAMLString(s string) string {
	var b bytes.Buffer
	yamlString(&b, s)
	return b.String()
}
