import TestSupport

/// The name `StubTransport` had before the test doubles moved to TestSupport, kept only so that
/// tests written against it on other branches still compile; new tests say `StubTransport`.
@available(*, deprecated, renamed: "StubTransport")
typealias RecordingTransport = StubTransport
