// zhi-manifest-check reads zhi-plugin.yaml files the way zhi's manifest.Parse
// does (gopkg.in/yaml.v3's yaml.Unmarshal into a struct, no KnownFields, so
// unknown keys such as zhi-gui's "options:" are ignored) and applies zhi's
// required-field rules. It exists to show that our manifests still load in zhi.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run ./scripts/zhi-manifest-check plugins/*/zhi-plugin.yaml
package main

import (
	"fmt"
	"os"
	"regexp"

	"gopkg.in/yaml.v3"
)

// The fields zhi's PluginManifest declares, with the same yaml names.
type manifest struct {
	SchemaVersion      string   `yaml:"schemaVersion"`
	Name               string   `yaml:"name"`
	Type               string   `yaml:"type"`
	Version            string   `yaml:"version"`
	ZhiProtocolVersion string   `yaml:"zhiProtocolVersion"`
	Description        string   `yaml:"description"`
	Author             string   `yaml:"author"`
	License            string   `yaml:"license"`
	Homepage           string   `yaml:"homepage"`
	Keywords           []string `yaml:"keywords"`
	Runtime            *struct {
		Type, Version string
		Bundled       bool
	} `yaml:"runtime"`
	MinZhiVersion string            `yaml:"minZhiVersion"`
	Binaries      map[string]string `yaml:"binaries"`
}

var (
	name   = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	types  = map[string]bool{"config": true, "transform": true, "store": true, "ui": true}
)

func main() {
	failed := false
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err == nil {
			var m manifest
			if err = yaml.Unmarshal(data, &m); err == nil && (!name.MatchString(m.Name) || !types[m.Type] || !semver.MatchString(m.Version)) {
				err = fmt.Errorf("invalid plugin manifest: name %q type %q version %q", m.Name, m.Type, m.Version)
			}
			if err == nil {
				fmt.Printf("OK   %s (%s %s %s)\n", path, m.Type, m.Name, m.Version)
				continue
			}
		}
		failed = true
		fmt.Printf("FAIL %s: %v\n", path, err)
	}
	if failed {
		os.Exit(1)
	}
}
