import CCurl

/// A transfer that failed below HTTP: no connection, a timeout, a TLS failure, a broken stream.
///
/// A non-2xx answer is never a `CurlError`; it arrives as an `HTTPResponse` with that status.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely, so callers can react without matching text.
    public enum Kind: Sendable, Hashable {
        /// Nothing accepted the connection: a missing or dead unix socket, a refused TCP port.
        case couldNotConnect
        /// The host name did not resolve.
        case couldNotResolveHost
        /// The connect timeout or the total timeout expired.
        case timedOut
        /// TLS handshake, certificate or key problem (bad CA, wrong host name, unreadable file).
        case tls
        /// The connection broke while sending or receiving.
        case connectionLost
        /// The transfer could not be set up (a libcurl option was refused, out of memory).
        case setup
        /// A collected answer grew past `CurlTransport.Options.maxResponseBody`; the transfer was stopped.
        case responseTooLarge
        /// The streamed request body failed to produce its bytes (`message` says why).
        case requestBody
        /// Anything else libcurl reports.
        case other
    }

    public var kind: Kind
    /// libcurl's `CURLcode` (or `CURLMcode` for multi-handle failures, see `message`).
    public var code: Int
    /// libcurl's own explanation, including its detail buffer when it had one.
    public var message: String
    /// Where the request went, e.g. `unix:///var/run/docker.sock` or `https://10.0.0.2:2376`.
    public var endpoint: String
    /// Method and path of the request that failed, e.g. `GET /_ping`.
    public var request: String

    public init(kind: Kind, code: Int, message: String, endpoint: String, request: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.endpoint = endpoint
        self.request = request
    }

    /// True when nothing answers at the endpoint (the CLI says "no engine answers on ...").
    public var isConnectionRefused: Bool { kind == .couldNotConnect }
    /// True when the connect or total timeout expired.
    public var isTimeout: Bool { kind == .timedOut }

    public var description: String {
        let what: String =
            switch kind {
            case .couldNotConnect: "could not connect to \(endpoint)"
            case .couldNotResolveHost: "could not resolve the host of \(endpoint)"
            case .timedOut: "timed out talking to \(endpoint)"
            case .tls: "TLS failure talking to \(endpoint)"
            case .connectionLost: "connection to \(endpoint) broke"
            case .setup: "could not set up the request to \(endpoint)"
            case .responseTooLarge: "the answer from \(endpoint) is too large"
            case .requestBody: "could not send the request body to \(endpoint)"
            case .other: "transfer to \(endpoint) failed"
            }
        return "\(what) (\(request)): \(message) [curl error \(code)]"
    }

    static func kind(of code: CURLcode) -> Kind {
        switch code {
        case CURLE_COULDNT_CONNECT: .couldNotConnect
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .couldNotResolveHost
        case CURLE_OPERATION_TIMEDOUT: .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_USE_SSL_FAILED, CURLE_SSL_CLIENTCERT:
            .tls
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            .connectionLost
        case CURLE_FAILED_INIT, CURLE_OUT_OF_MEMORY, CURLE_UNKNOWN_OPTION, CURLE_BAD_FUNCTION_ARGUMENT,
            CURLE_NOT_BUILT_IN, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            .setup
        default: .other
        }
    }

    init(code: CURLcode, detail: String?, endpoint: String, request: String) {
        let base = String(cString: curl_easy_strerror(code))
        let message = if let detail, !detail.isEmpty, detail != base { "\(base): \(detail)" } else { base }
        self.init(kind: Self.kind(of: code), code: Int(code.rawValue), message: message, endpoint: endpoint, request: request)
    }
}
