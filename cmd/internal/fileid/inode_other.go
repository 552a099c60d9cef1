//go:build !unix

package fileid

import "os"

// inode reports that this system gives no device and inode: paths identify files.
func inode(os.FileInfo) (string, bool) { return "", false }
