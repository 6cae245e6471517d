package bridgekey

import "bytes"

const (
	testParent = "https://app.example.com"
	testEmbed  = "https://widget.example.net"
)

var testRoot = bytes.Repeat([]byte{0x42}, SecretSize)

func testSecret() []byte { return DeploymentSecret(testRoot, testParent, testEmbed) }

// b64Alphabet is the base64url alphabet in order.
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
