import Foundation
import Testing
@testable import HTTPTransport
