package dashboard

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// uiIndex is the UI's page.
const uiIndex = "index.html"

// uiHandler serves the UI's files. "/" and any path that names no file
// and has no extension (a route of the UI itself, such as
// /namespaces/shop/rollouts/web) get index.html; a missing asset gets
// 404. Directories are never listed.
func (s *Server) uiHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = uiIndex
		}
		info, err := fs.Stat(s.opts.UI, name)
		if err != nil || info.IsDir() {
			if path.Ext(name) != "" {
				http.NotFound(w, r)
				return
			}
			name = uiIndex
		}
		http.ServeFileFS(w, r, s.opts.UI, name)
	})
}
