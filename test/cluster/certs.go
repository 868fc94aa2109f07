package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is how long the plane's certificates are valid. Planes live
// for one test run or one dev session.
const certValidity = 30 * 24 * time.Hour

// pkiFiles are the paths of the key material written for one plane.
type pkiFiles struct {
	caCert        string // CA that signs the apiserver's serving certificate
	servingCert   string // kube-apiserver serving certificate
	servingKey    string
	saKey         string // service-account token signing key (private)
	saPub         string // service-account token verification key (public)
	caPEM         []byte // contents of caCert, for kubeconfigs and rest.Config
	tokensCSV     string // static token file for kube-apiserver
	adminToken    string // token of the admin user, in group system:masters
	componentToks map[string]string
}

// Users in the static token file. Each component gets its own name so that
// logs and audit events tell them apart; all are in system:masters because
// kube-controller-manager runs without per-controller service accounts.
const (
	userAdmin             = "ramp-admin"
	userControllerManager = "system:kube-controller-manager"
	userScheduler         = "system:kube-scheduler"
	userKwok              = "kwok-controller"
)

// writePKI generates a CA, a serving certificate for kube-apiserver valid for
// loopback and the in-cluster kubernetes service, a service-account key pair
// and a static token file, and writes them into dir.
func writePKI(dir string, serviceIP net.IP) (*pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki directory: %w", err)
	}
	p := &pkiFiles{
		caCert:      filepath.Join(dir, "ca.crt"),
		servingCert: filepath.Join(dir, "apiserver.crt"),
		servingKey:  filepath.Join(dir, "apiserver.key"),
		saKey:       filepath.Join(dir, "sa.key"),
		saPub:       filepath.Join(dir, "sa.pub"),
		tokensCSV:   filepath.Join(dir, "tokens.csv"),
	}

	caKey, err := newKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "ramp-plane-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("create ca certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse ca certificate: %w", err)
	}
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(p.caCert, p.caPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write ca certificate: %w", err)
	}

	servingKey, err := newKey()
	if err != nil {
		return nil, err
	}
	servingTemplate := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, serviceIP},
		DNSNames: []string{
			"localhost",
			"kubernetes",
			"kubernetes.default",
			"kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
	}
	servingDER, err := x509.CreateCertificate(rand.Reader, servingTemplate, caCert, servingKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("create serving certificate: %w", err)
	}
	if err := os.WriteFile(p.servingCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servingDER}), 0o600); err != nil {
		return nil, fmt.Errorf("write serving certificate: %w", err)
	}
	if err := writePrivateKey(p.servingKey, servingKey); err != nil {
		return nil, err
	}

	saKey, err := newKey()
	if err != nil {
		return nil, err
	}
	if err := writePrivateKey(p.saKey, saKey); err != nil {
		return nil, err
	}
	if err := writePublicKey(p.saPub, saKey.Public()); err != nil {
		return nil, err
	}

	if err := p.writeTokens(); err != nil {
		return nil, err
	}
	return p, nil
}

// writeTokens creates one random token per user and writes kube-apiserver's
// static token file (token,user,uid,"group1,group2").
func (p *pkiFiles) writeTokens() error {
	p.componentToks = map[string]string{}
	var csv string
	for _, user := range []string{userAdmin, userControllerManager, userScheduler, userKwok} {
		tok, err := randomToken()
		if err != nil {
			return err
		}
		p.componentToks[user] = tok
		csv += fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", tok, user, user)
	}
	p.adminToken = p.componentToks[userAdmin]
	if err := os.WriteFile(p.tokensCSV, []byte(csv), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return key, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func writePrivateKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode private key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("write private key: %w", err)
	}
	return nil
}

func writePublicKey(path string, key crypto.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return fmt.Errorf("encode public key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	return nil
}
