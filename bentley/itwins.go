package bentley

import (
	"context"
	"fmt"
	"net/http"
)

// ITwin is an iTwin in its full representation. Fields outside the summary (id, class,
// subClass, type, number, displayName) are only filled when the platform sent them.
// Dates are kept as the platform's strings: its examples use several ISO 8601 shapes.
type ITwin struct {
	ID                   string   `json:"id"`
	Class                string   `json:"class"`
	SubClass             string   `json:"subClass"`
	Type                 *string  `json:"type"`
	Number               string   `json:"number"`
	DisplayName          string   `json:"displayName"`
	Status               string   `json:"status,omitempty"`
	DataCenterLocation   string   `json:"dataCenterLocation,omitempty"`
	ParentID             *string  `json:"parentId,omitempty"`
	ITwinAccountID       *string  `json:"iTwinAccountId,omitempty"`
	GeographicLocation   *string  `json:"geographicLocation,omitempty"`
	Latitude             *float64 `json:"latitude,omitempty"`
	Longitude            *float64 `json:"longitude,omitempty"`
	IANATimeZone         *string  `json:"ianaTimeZone,omitempty"`
	ImageName            *string  `json:"imageName,omitempty"`
	Image                *string  `json:"image,omitempty"`
	CreatedDateTime      *string  `json:"createdDateTime,omitempty"`
	CreatedBy            *string  `json:"createdBy,omitempty"`
	LastModifiedDateTime *string  `json:"lastModifiedDateTime,omitempty"`
	LastModifiedBy       *string  `json:"lastModifiedBy,omitempty"`
}

type itwinResponse struct {
	ITwin *ITwin `json:"iTwin"`
}

// getITwin performs one of the single-iTwin reads, asking for the full representation.
func (c *Client) getITwin(ctx context.Context, endpoint, path string, pathErr error) (*ITwin, error) {
	if pathErr != nil {
		return nil, pathErr
	}
	req, err := c.newRequest(ctx, endpoint, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	req.Header["Prefer"] = preferFull
	var body itwinResponse
	if err := c.do(req, &body); err != nil {
		return nil, err
	}
	if body.ITwin == nil || body.ITwin.ID == "" {
		return nil, fmt.Errorf("bentley: %s: answer has no iTwin: %w", endpoint, ErrMalformedResponse)
	}
	return body.ITwin, nil
}

// GetMyPrimaryAccount returns the primary Account iTwin of the caller's organization.
//
// https://developer.bentley.com/apis/itwins/operations/get-my-primary-account/
func (c *Client) GetMyPrimaryAccount(ctx context.Context) (*ITwin, error) {
	return c.getITwin(ctx, EndpointMyPrimaryAccount, "itwins/myprimaryaccount", nil)
}

// GetITwin returns one iTwin the caller is a member of.
//
// https://developer.bentley.com/apis/itwins/operations/get-itwin/
func (c *Client) GetITwin(ctx context.Context, id string) (*ITwin, error) {
	path, err := idPath(EndpointITwin, "itwins/%s", id)
	return c.getITwin(ctx, EndpointITwin, path, err)
}

// GetITwinAccount returns the Account iTwin that owns the given iTwin.
//
// https://developer.bentley.com/apis/itwins/operations/get-itwin-account/
func (c *Client) GetITwinAccount(ctx context.Context, id string) (*ITwin, error) {
	path, err := idPath(EndpointITwinAccount, "itwins/%s/account", id)
	return c.getITwin(ctx, EndpointITwinAccount, path, err)
}
