import Foundation

/// The seam between API clients (Docker Engine, Grafana, Prometheus) and the wire.
///
/// `CurlTransport` is the real implementation; tests may substitute a recording stub server
/// behind a real `CurlTransport`, or a type of their own.
public protocol HTTPTransport: Sendable {
    /// Sends a request and collects the whole response body.
    /// A non-2xx status is *not* an error at this level: clients map statuses to their own errors.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse

    /// Sends a request and returns as soon as the status line and headers have arrived; the body
    /// is delivered chunk by chunk as it arrives. Cancelling the consuming task aborts the transfer.
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse
}

public enum HTTPMethod: String, Sendable {
    case get = "GET", head = "HEAD", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
}

public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// Path and query relative to the transport's endpoint, e.g. `/v1.41/containers/json?all=1`.
    public var path: String
    /// Header fields in order. `Content-Type` etc. are set by the caller; the transport adds
    /// `User-Agent` when absent.
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// A body produced while it is sent (a build context), instead of `body`: never held in memory whole.
    public var bodyStream: HTTPBodyStream?
    /// Limit for the whole transfer; `nil` uses the transport's default (none for streams).
    public var timeout: Duration?

    public init(
        method: HTTPMethod = .get,
        path: String,
        headers: [(name: String, value: String)] = [],
        body: Data? = nil,
        bodyStream: HTTPBodyStream? = nil,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.bodyStream = bodyStream
        self.timeout = timeout
    }
}

/// A request body read piece by piece while it is sent, so its size never costs memory.
///
/// `open` is called once per transfer, on the transport's thread, and the reader it returns is used
/// there only, one `read` at a time, until it returns 0 (the end) or throws (the transfer fails with
/// that error).
public struct HTTPBodyStream: Sendable {
    /// Total bytes when known in advance (sent as `Content-Length`); `nil` sends the body chunked.
    public var length: Int64?
    public var open: @Sendable () throws -> any HTTPBodyReader

    public init(length: Int64?, open: @escaping @Sendable () throws -> any HTTPBodyReader) {
        self.length = length
        self.open = open
    }
}

/// The producer behind an `HTTPBodyStream`.
public protocol HTTPBodyReader: AnyObject {
    /// Fills the start of `buffer` with the next bytes and returns how many; 0 means the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields as received; look-ups through `header(_:)` ignore case.
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    /// Body chunks as they arrive. Ends when the server ends the body; throws on transport errors.
    /// Cancelling the consuming task, or dropping the stream, aborts the transfer; note that an
    /// `AsyncThrowingStream` may then simply end instead of throwing `CancellationError`, so check
    /// `Task.isCancelled` (or read through `lines`, which throws) where a cut body matters.
    public var body: AsyncThrowingStream<Data, any Error>

    public init(status: Int, headers: [(name: String, value: String)], body: AsyncThrowingStream<Data, any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Collects the whole remaining body (for error answers to streaming requests).
    public func collect(upTo limit: Int = 16 << 20) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            data.append(chunk)
            if data.count > limit { break }
        }
        // The body stream ends quietly when the task is cancelled: do not pass a cut body off as whole.
        try Task.checkCancellation()
        return data
    }
}

/// Where a transport sends its requests.
public struct HTTPEndpoint: Sendable, Hashable {
    public enum Address: Sendable, Hashable {
        /// HTTP over a unix domain socket (the Docker Engine's default).
        case unixSocket(path: String)
        /// `http://` or `https://` URL prefix, e.g. `https://127.0.0.1:2376` or `http://localhost:3000/grafana`.
        case url(String)
    }

    public struct TLS: Sendable, Hashable {
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        /// Verification is on unless the user turns it off explicitly.
        public var verifyPeer: Bool

        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, verifyPeer: Bool = true) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.verifyPeer = verifyPeer
        }
    }

    public var address: Address
    public var tls: TLS?

    public init(address: Address, tls: TLS? = nil) {
        self.address = address
        self.tls = tls
    }

    /// A short description for messages, e.g. `unix:///var/run/docker.sock`. Credentials in a URL
    /// (`http://user:secret@host`) are replaced by `***`, so errors and logs never carry them.
    public var description: String {
        switch address {
        case .unixSocket(let path): "unix://\(path)"
        case .url(let url): Self.redactingCredentials(url)
        }
    }

    /// `scheme://user:password@host/...` -> `scheme://***@host/...`; other URLs unchanged.
    public static func redactingCredentials(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(rest[at...])
    }
}
