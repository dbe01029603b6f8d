import Testing
@testable import JSONDocument
