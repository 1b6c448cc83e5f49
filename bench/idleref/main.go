// Command idleref is the reference of bench/idle.sh: a Go program that
// does nothing but wake every 50 ms, as River's batch completer does in
// every process that works jobs. Its idle CPU is the floor reel's cannot
// go under while it runs River v0.51.1.
package main

import "time"

func main() {
	t := time.NewTicker(50 * time.Millisecond)
	for range t.C {
	}
}
