//go:build ignore

// filedeps counts the references between the non-test files of one
// package: an edge A → B when a file A uses a name (function, method,
// type, field, variable, constant) declared in file B. It prints each
// edge, then the number of edges and how many of them lie on a cycle
// (files that reach each other, directly or through others), the
// "back-and-forth" that a layered package does not have.
//
//	go run scripts/filedeps.go ./web
package main

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/filedeps.go DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		fail(err)
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	pkg, err := conf.Check(dir, fset, files, info)
	if err != nil {
		fail(err)
	}
	name := func(p token.Pos) string { return filepath.Base(fset.Position(p).Filename) }
	edges := map[[2]string]bool{}
	add := func(use token.Pos, obj types.Object) {
		if obj == nil || obj.Pkg() != pkg || !obj.Pos().IsValid() {
			return
		}
		// Only package-level names, methods and fields: a function's
		// locals never cross files.
		switch o := obj.(type) {
		case *types.Var:
			if !o.IsField() && o.Parent() != pkg.Scope() {
				return
			}
		case *types.Func:
		default:
			if obj.Parent() != pkg.Scope() {
				return
			}
		}
		from, to := name(use), name(obj.Pos())
		if from != to {
			edges[[2]string{from, to}] = true
		}
	}
	for id, obj := range info.Uses {
		add(id.Pos(), obj)
	}
	for sel, s := range info.Selections {
		add(sel.Sel.Pos(), s.Obj())
	}
	// A → B lies on a cycle when B reaches A.
	next := map[string][]string{}
	for e := range edges {
		next[e[0]] = append(next[e[0]], e[1])
	}
	reaches := func(from, to string) bool {
		seen := map[string]bool{from: true}
		stack := []string{from}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, m := range next[n] {
				if m == to {
					return true
				}
				if !seen[m] {
					seen[m] = true
					stack = append(stack, m)
				}
			}
		}
		return false
	}
	var lines []string
	cyclic := 0
	for e := range edges {
		mark := ""
		if reaches(e[1], e[0]) {
			cyclic++
			mark = "  (cycle)"
		}
		lines = append(lines, e[0]+" -> "+e[1]+mark)
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Printf("%d file-to-file references, %d of them on a cycle\n", len(edges), cyclic)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
