// Package importcheck lists a package's dependencies with the go command,
// for the tests that keep the WebAssembly runtime's packages small.
package importcheck

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// Envs are the builds those tests check: the host, and js/wasm.
var Envs = [][]string{nil, {"GOOS=js", "GOARCH=wasm"}}

// List returns the import paths of the non-test dependencies (go list
// -deps) and of the direct imports of the package in the current
// directory, whose import path is pkg, built with the environment
// additions env (nil for the host). Inside WebAssembly, where there is no
// go command, it skips the test: the host run checks js/wasm.
func List(t testing.TB, pkg string, env []string) (deps, imports []string) {
	t.Helper()
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no go command inside WebAssembly; the host run checks js/wasm")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	list := func(format string) []string {
		t.Helper()
		cmd := exec.Command(goCmd, "list", "-deps", "-f", format, ".")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %v: %v", env, err)
		}
		return strings.Fields(string(out))
	}
	deps = list("{{.ImportPath}}")
	imports = list(`{{if eq .ImportPath "` + pkg + `"}}{{join .Imports " "}}{{end}}`)
	return deps, imports
}
