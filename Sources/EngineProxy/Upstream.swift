import HTTPTransport

extension EngineProxy {
    // Hummingbird's HTTPTypes has types of the same names, and `HTTPTransport.HTTPRequest` names
    // the protocol's member: spelled here, where only HTTPTransport is imported.
    typealias UpstreamRequest = HTTPRequest
    typealias UpstreamMethod = HTTPMethod
}
