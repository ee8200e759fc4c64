#!/usr/bin/env bash
# Makes docs/pipeview-konata.png: the real Konata viewer showing a `chainrv run --pipeview`
# log, screenshotted by headless Chromium. Konata is fetched and built at run time in a
# scratch folder; nothing of it is kept.
#
#   scripts/konata_screenshot.sh [OUT.png]
#
# Needs git, node and npm (Debian's nodejs and npm), the npm registry, headless Chromium
# (Debian's chromium-headless-shell, or $CHROMIUM) and chainrv (.venv/bin or PATH).
# KONATA_REPO and KONATA_COMMIT choose the Konata source (default: its v1.1.0 release).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:-$root/docs/pipeview-konata.png}")"
repo="${KONATA_REPO:-https://github.com/shioyadan/Konata.git}"
commit="${KONATA_COMMIT:-ae2bdcced5d8d1c203a787e9a1f80e5c1b4e3bda}"  # tag v1.1.0
puppeteer="puppeteer-core@24.43.1"  # drives an installed Chromium, downloads none
port="${KONATA_PORT:-30180}"
# The view: the first row, how many zoom-out steps from 100 %, the window size.
first_op=293 zoom_out=1 width=1400 height=1000

chainrv="$root/.venv/bin/chainrv"
[ -x "$chainrv" ] || chainrv="$(command -v chainrv)"
chromium="${CHROMIUM:-}"
for c in chromium-headless-shell chromium chromium-browser; do
    [ -n "$chromium" ] && break
    chromium="$(command -v "$c" || true)"
done
[ -n "$chromium" ] || { echo "konata_screenshot: no headless Chromium found" >&2; exit 2; }

work="$(mktemp -d)"
server=""
cleanup() {
    # konata.sh runs in a session of its own, so its Python server ends with it.
    [ -n "$server" ] && kill -- "-$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== Konata $commit"
git clone -q "$repo" "$work/konata"
git -C "$work/konata" checkout -q "$commit"
cd "$work/konata"
# Electron is only Konata's test runner: its binary download is skipped.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if ! npm ci --no-audit --no-fund --ignore-scripts >"$work/npm.log" 2>&1; then
    # A registry without @hpcc-js/wasm-zstd 1.15.0 (its zstd decoder) gets 1.12.5, whose
    # streaming API differs; only .zst traces use that, so the build skips type checking.
    grep -q "wasm-zstd" "$work/npm.log" || { cat "$work/npm.log" >&2; exit 1; }
    echo "   @hpcc-js/wasm-zstd 1.15.0 unavailable: building with 1.12.5 (.zst input unsupported)"
    npm install --no-audit --no-fund --ignore-scripts --save-exact @hpcc-js/wasm-zstd@1.12.5 \
        >"$work/npm.log" 2>&1 || { cat "$work/npm.log" >&2; exit 1; }
    sed -i 's/configFile: "tsconfig.json",/configFile: "tsconfig.json", transpileOnly: true,/' \
        webpack.config.js
fi
./node_modules/.bin/webpack --mode production >"$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log" >&2; exit 1; }

echo "== the log: sha256 (rv32im, -O2, ideal), crv_print_hex only"
cd "$work"
"$chainrv" build "$root/kernels/sha256/sha256_main.c" "$root/kernels/common/sha256_core.c" \
    --isa rv32im -O2 -o sha256.elf
"$chainrv" run sha256.elf --pipeview sha256.kanata --trace-only crv_print_hex >/dev/null

echo "== screenshot"
mkdir driver && cd driver
npm init -y >/dev/null
npm install --no-audit --no-fund "$puppeteer" >"$work/npm-driver.log" 2>&1 \
    || { cat "$work/npm-driver.log" >&2; exit 1; }
cat >shot.js <<'EOF'
// Opens Konata on the served log, splits the stall lane off, zooms and jumps, screenshots.
const puppeteer = require("puppeteer-core");
const [chromium, url, out, firstOp, zoomOut, width, height] = process.argv.slice(2);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
    const browser = await puppeteer.launch({
        executablePath: chromium, args: ["--no-sandbox"],
        defaultViewport: { width: +width, height: +height },
    });
    const page = await browser.newPage();
    page.on("pageerror", (e) => { console.error("page error:", e.message); process.exitCode = 1; });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => document.body.innerText.includes("Loaded ·"), { timeout: 60000 });
    await page.click('[aria-label="View settings"]');
    await page.click("xpath/.//*[normalize-space(text())='Split lanes']");
    await page.keyboard.press("Escape");
    const box = await (await page.$("canvas")).boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    // Zoom first: a jump made before zooming does not keep its row at the top.
    for (let i = 0; i < +zoomOut; i++) { await page.keyboard.press("-"); await pause(150); }
    await page.keyboard.press("F1");  // the command palette: jump to an op
    await pause(300);
    await page.keyboard.type(`j ${firstOp}`);
    await page.keyboard.press("Enter");
    await page.mouse.move(0, 0);
    await pause(1000);
    await page.screenshot({ path: out });
    await browser.close();
})().catch((e) => { console.error(e.message); process.exit(1); });
EOF

cd "$work/konata"
setsid env KONATA_PORT="$port" ./konata.sh "$work/sha256.kanata" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do
    grep -q "Serving HTTP" "$work/server.log" && break
    sleep 0.2
done
grep -q "Serving HTTP" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
node "$work/driver/shot.js" "$chromium" "http://127.0.0.1:$port/#name=sha256.kanata" \
    "$work/shot.png" "$first_op" "$zoom_out" "$width" "$height"
mv "$work/shot.png" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
