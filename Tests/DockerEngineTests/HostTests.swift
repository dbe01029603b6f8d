import Foundation
import HTTPTransport
import Testing

@testable import DockerEngine

@Suite("DockerEngine.Host")
struct HostTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var host: String?
        var environment: [String: String]
        var expected: HTTPEndpoint?
        /// A fragment the error message must contain when `expected` is nil.
        var errorMentions: String = ""
        var testDescription: String { "\(host ?? "<none>") \(environment)" }
    }

    static let certs = ["/certs/ca.pem", "/certs/cert.pem", "/certs/key.pem"]

    static let cases: [Case] = [
        Case(host: nil, environment: [:], expected: HTTPEndpoint(address: .unixSocket(path: "/var/run/docker.sock"))),
        Case(host: nil, environment: ["DOCKER_HOST": ""], expected: HTTPEndpoint(address: .unixSocket(path: "/var/run/docker.sock"))),
        Case(
            host: nil, environment: ["DOCKER_HOST": "unix:///run/user/1000/docker.sock"],
            expected: HTTPEndpoint(address: .unixSocket(path: "/run/user/1000/docker.sock"))),
        // --host wins over DOCKER_HOST.
        Case(host: "unix:///tmp/a.sock", environment: ["DOCKER_HOST": "unix:///tmp/b.sock"], expected: HTTPEndpoint(address: .unixSocket(path: "/tmp/a.sock"))),
        Case(
            host: nil, environment: ["DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs"],
            expected: HTTPEndpoint(
                address: .url("https://127.0.0.1:2376"), tls: .init(caFile: certs[0], certificateFile: certs[1], keyFile: certs[2], verifyPeer: true))),
        // The docker CLI treats any non-empty DOCKER_TLS_VERIFY as on; the default port with TLS is 2376.
        Case(
            host: "tcp://engine.local", environment: ["DOCKER_TLS_VERIFY": "0", "DOCKER_CERT_PATH": "/certs"],
            expected: HTTPEndpoint(
                address: .url("https://engine.local:2376"), tls: .init(caFile: certs[0], certificateFile: certs[1], keyFile: certs[2], verifyPeer: true))),
        Case(
            host: "tcp://[::1]:2376", environment: ["DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs"],
            expected: HTTPEndpoint(
                address: .url("https://[::1]:2376"), tls: .init(caFile: certs[0], certificateFile: certs[1], keyFile: certs[2], verifyPeer: true))),
        // DOCKER_TLS without VERIFY: TLS, engine certificate not verified (docker --tls).
        Case(
            host: "tcp://127.0.0.1:2376", environment: ["DOCKER_TLS": "1", "DOCKER_CERT_PATH": "/certs"],
            expected: HTTPEndpoint(
                address: .url("https://127.0.0.1:2376"), tls: .init(caFile: nil, certificateFile: certs[1], keyFile: certs[2], verifyPeer: false))),
        // Plain TCP only with the explicit opt-out; default port 2375.
        Case(host: "tcp://127.0.0.1", environment: ["STACKPILOT_ALLOW_PLAIN_TCP": "1"], expected: HTTPEndpoint(address: .url("http://127.0.0.1:2375"))),
        Case(host: "tcp://127.0.0.1:2375", environment: [:], expected: nil, errorMentions: "STACKPILOT_ALLOW_PLAIN_TCP=1"),
        Case(
            host: "tcp://127.0.0.1:2376", environment: ["DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/missing"], expected: nil,
            errorMentions: "/missing/ca.pem does not exist"),
        Case(host: "/var/run/docker.sock", environment: [:], expected: nil, errorMentions: "no scheme"),
        Case(host: "unix://relative.sock", environment: [:], expected: nil, errorMentions: "absolute path"),
        Case(host: "tcp://127.0.0.1:99999", environment: ["STACKPILOT_ALLOW_PLAIN_TCP": "1"], expected: nil, errorMentions: "not a port number"),
        Case(host: "tcp://127.0.0.1:abc", environment: ["STACKPILOT_ALLOW_PLAIN_TCP": "1"], expected: nil, errorMentions: "not a port number"),
        Case(host: "ssh://user@host", environment: [:], expected: nil, errorMentions: "ssh:// engines are not supported"),
        Case(host: "http://127.0.0.1:2375", environment: [:], expected: nil, errorMentions: "use tcp://"),
        Case(host: "gopher://x", environment: [:], expected: nil, errorMentions: "unknown scheme"),
    ]

    @Test("DOCKER_HOST, --host and the TLS variables resolve as the docker CLI reads them", arguments: cases)
    func resolve(_ testCase: Case) throws {
        let fileExists: (String) -> Bool = { Self.certs.contains($0) }
        if let expected = testCase.expected {
            let host = try DockerEngine.Host.resolve(host: testCase.host, environment: testCase.environment, fileExists: fileExists)
            #expect(host.endpoint == expected)
        } else {
            let error = #expect(throws: DockerEngine.Error.self) {
                try DockerEngine.Host.resolve(host: testCase.host, environment: testCase.environment, fileExists: fileExists)
            }
            guard case .invalidHost(let raw, _)? = error else {
                Issue.record("expected .invalidHost, got \(String(describing: error))")
                return
            }
            #expect(raw == testCase.host)
            #expect(error?.description.contains(testCase.errorMentions) == true, "\(error?.description ?? "")")
        }
    }
}
