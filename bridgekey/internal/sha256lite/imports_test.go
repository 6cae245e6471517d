package sha256lite

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestImports keeps the package free of dependencies beyond math/bits, for
// the host and for js/wasm: its reason to exist is that it links nothing
// else into the WebAssembly runtime.
func TestImports(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no go command inside WebAssembly; the host run checks js/wasm")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	for _, env := range [][]string{nil, {"GOOS=js", "GOARCH=wasm"}} {
		cmd := exec.Command(goCmd, "list", "-f", `{{join .Imports " "}}`, ".")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %v: %v", env, err)
		}
		if imports := strings.Fields(string(out)); !slices.Equal(imports, []string{"math/bits"}) {
			t.Errorf("%v: imports %v, want only math/bits", env, imports)
		}
	}
}
