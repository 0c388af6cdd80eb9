// A Go program whose only entropy request is crypto/rand's: Go makes the getrandom system call
// itself, so only a system call filter sees it. Prints the bytes in hex, or the error.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
)

func main() {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Printf("crypto/rand %x\n", b)
}
