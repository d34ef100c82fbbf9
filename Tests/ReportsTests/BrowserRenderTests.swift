import Foundation
import Reports
import Testing

/// Renders the report in headless Chromium (Debian's `chromium`; Scripts/test.sh installs it)
/// and checks that the page painted something and logged no console errors. Set
/// FRUGAL_SKIP_BROWSER_TEST=1 to skip where no browser can be installed.
struct BrowserRenderTests {
    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["FRUGAL_SKIP_BROWSER_TEST"] != "1"))
    func theReportRendersInHeadlessChromium() throws {
        let browser = try #require(Self.chromium, "chromium is not installed (Scripts/test.sh installs it; FRUGAL_SKIP_BROWSER_TEST=1 skips)")
        let input = ReportFixture.temporaryDirectory()
        try ReportFixture.write(to: input)
        let out = ReportFixture.temporaryDirectory()
        let outcome = try ReportWriter(inputFolder: input, outputFolder: out).write()
        let png = out + "/render.png"
        let (status, log) = try run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                              "--user-data-dir=\(out)/profile", "--screenshot=\(png)", "--window-size=1200,2400",
                                              "file://" + outcome.indexPath])
        #expect(status == 0, "chromium failed: \(log.suffix(2000))")
        #expect(!log.contains("Uncaught"), "\(log)")
        #expect(!log.contains("ERROR:CONSOLE"), "\(log)")
        let size = (try FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(size > 30_000, "screenshot is \(size) bytes")
        // Decode the PNG (Python's zlib) and count distinct colours in the charts' area.
        let (pythonStatus, colours) = try run("/usr/bin/env", ["python3", "-c", Self.countColours, png])
        #expect(pythonStatus == 0, "\(colours)")
        let count = Int(colours.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(count >= 8, "the page is (nearly) one colour: \(count) colours")
    }

    /// Prints how many distinct pixel colours the first 1200 rows of a PNG have.
    static let countColours = #"""
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, header = 8, b'', None
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b'IHDR': header = struct.unpack('>IIBBBBB', body)
    if kind == b'IDAT': idat += body
    pos += 12 + length
width, height, depth, colour = header[:4]
assert depth == 8 and colour in (2, 6), 'unexpected PNG format %s' % (header,)
bpp = 3 if colour == 2 else 4
stride = width * bpp
raw = zlib.decompress(idat)
previous = bytearray(stride)
colours = set()
for row in range(min(height, 1200)):
    kind = raw[row * (stride + 1)]
    line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
    if kind == 1:
        for i in range(bpp, stride): line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, previous))
    elif kind == 3:
        for i in range(stride): line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + previous[i]) // 2) & 255
    elif kind == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0; b = previous[i]; c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if row % 4 == 0:
        for i in range(0, stride, bpp * 3): colours.add(bytes(line[i:i + 3]))
    previous = line
print(len(colours))
"""#

    func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
