import Foundation
import HTTPTransport

// This file imports HTTPTransport but not Hummingbird: both define `HTTPRequest`/`HTTPResponse`,
// so the rest of the module talks to the wire through these names.

/// A transport to another HTTP service (the model API, or this process for the load generator).
public typealias UpstreamTransport = HTTPTransport

/// Makes a transport for a base URL such as `http://model-api:5001`.
public typealias TransportFactory = @Sendable (_ baseURL: String) throws -> any UpstreamTransport

/// Posts JSON to another service.
struct UpstreamClient: Sendable {
    let transport: any UpstreamTransport

    func postJSON(_ path: String, body: Data, timeout: Duration) async throws -> (status: Int, body: Data) {
        let response = try await transport.send(
            HTTPRequest(
                method: .post, path: path, headers: [("Content-Type", "application/json")], body: body, timeout: timeout))
        return (response.status, response.body)
    }
}

/// libcurl transports (the project's `CurlTransport`), one per base URL.
public let defaultTransportFactory: TransportFactory = { baseURL in
    try CurlTransport(endpoint: HTTPEndpoint(address: .url(baseURL)))
}
