package caddybridge

// CheckDeployment is what bridge-secret decides for a JSON config: the
// note it prints, or the error it fails with.
func CheckDeployment(cfgJSON []byte, configFile, parent, embed string) (note string, err error) {
	return findDeployment(cfgJSON, parent, embed).verdict(configFile, parent, embed)
}
