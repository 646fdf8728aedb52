package ec2emu_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/google/go-cmp/cmp"
)

// TestPaging pages, 5 at a time, through each Describe action that lists
// instances' resources one by one, and checks the pages add up to the
// unpaged answer, in the same order, each item once.
func TestPaging(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), InstanceType: types.InstanceTypeT3Micro,
		MinCount: aws.Int32(12), MaxCount: aws.Int32(12),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inst := range out.Instances {
		ids = append(ids, aws.ToString(inst.InstanceId))
	}
	// Running, so DescribeInstanceStatus lists them without IncludeAllInstances.
	testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameRunning, ids...)

	five := aws.Int32(5)
	tests := []struct {
		name string
		// list returns one page's item IDs and the next token.
		list func(max *int32, token *string) ([]string, *string)
	}{
		{"DescribeInstanceStatus", func(max *int32, token *string) ([]string, *string) {
			o, err := c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{MaxResults: max, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range o.InstanceStatuses {
				got = append(got, aws.ToString(s.InstanceId))
			}
			return got, o.NextToken
		}},
		{"DescribeInstanceCreditSpecifications", func(max *int32, token *string) ([]string, *string) {
			o, err := c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{MaxResults: max, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range o.InstanceCreditSpecifications {
				got = append(got, aws.ToString(s.InstanceId))
			}
			return got, o.NextToken
		}},
		{"DescribeVolumes", func(max *int32, token *string) ([]string, *string) {
			o, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: max, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range o.Volumes {
				got = append(got, aws.ToString(v.VolumeId))
			}
			return got, o.NextToken
		}},
		{"DescribeTags", func(max *int32, token *string) ([]string, *string) {
			o, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{MaxResults: max, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range o.Tags {
				got = append(got, aws.ToString(tg.ResourceId)+"/"+aws.ToString(tg.Key))
			}
			return got, o.NextToken
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, next := tt.list(nil, nil)
			if next != nil {
				t.Fatalf("unpaged answer has a NextToken %q", *next)
			}
			if len(all) < 12 {
				t.Fatalf("unpaged answer lists %d items, want at least 12", len(all))
			}
			var paged []string
			pages := 0
			for token := (*string)(nil); ; {
				got, next := tt.list(five, token)
				pages++
				if len(got) > 5 {
					t.Fatalf("page %d has %d items, MaxResults 5", pages, len(got))
				}
				paged = append(paged, got...)
				if next == nil {
					break
				}
				if pages > len(all) {
					t.Fatal("paging does not end")
				}
				token = next
			}
			if diff := cmp.Diff(all, paged); diff != "" {
				t.Errorf("pages joined vs unpaged answer (-want +got):\n%s", diff)
			}
			if want := (len(all) + 4) / 5; pages != want {
				t.Errorf("%d pages for %d items, want %d", pages, len(all), want)
			}
		})
	}
}
