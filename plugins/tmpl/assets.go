package tmpl

import "fmt"

// Assets is a built asset pipeline: a manifest from logical names
// ("app.js") to hashed URLs ("/assets/app-3F2A1B.js").
type Assets struct {
	prefix   string
	manifest map[string]string
}

// URL returns the hashed URL of the asset name.
func (a *Assets) URL(name string) (string, error) {
	u, ok := a.manifest[name]
	if !ok {
		return "", fmt.Errorf("tmpl: no asset %q in the manifest", name)
	}
	return u, nil
}
