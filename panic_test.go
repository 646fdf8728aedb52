package ec2emu_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// panicky is a backend whose Images panics.
type panicky struct{ *mock.Backend }

func (panicky) Images(ctx context.Context) ([]backend.Image, error) { panic("backend bug") }

// A panic while answering a request reaches the client as EC2's 500
// InternalError, and the Server goes on serving.
func TestPanicBecomesInternalError(t *testing.T) {
	srv := ec2emutest.NewServer(t, panicky{mock.New()})
	c := ec2.New(srv.Client.Options(), func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	_, err := c.DescribeImages(ctxT(t), &ec2.DescribeImagesInput{})
	wantAPIError(t, err, "InternalError", http.StatusInternalServerError)
	if _, err := c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{}); err != nil {
		t.Errorf("after the panic: %v", err)
	}
}
