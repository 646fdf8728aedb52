// Command imdsget runs inside an instance for the docker package's access
// benchmark: it reads meta-data/instance-id n times with aws-sdk-go-v2's
// imds client (IMDSv2, as the SDK does it) and prints the instance ID and
// the median latency in microseconds.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

func main() {
	n := flag.Int("n", 100, "requests")
	flag.Parse()
	c := imds.New(imds.Options{})
	ctx := context.Background()
	var id string
	var took []time.Duration
	for range *n {
		start := time.Now()
		out, err := c.GetMetadata(ctx, &imds.GetMetadataInput{Path: "instance-id"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b, _ := io.ReadAll(out.Content)
		out.Content.Close()
		took = append(took, time.Since(start))
		id = string(b)
	}
	slices.Sort(took)
	fmt.Println(id, took[len(took)/2].Microseconds())
}
