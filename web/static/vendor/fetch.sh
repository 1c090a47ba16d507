#!/usr/bin/env bash
# Re-fetch the vendored front-end files by version from the npm registry:
#   web/static/vendor/fetch.sh HTMX_VERSION BOOTSTRAP_VERSION VAZIRMATN_VERSION CHARTJS_VERSION NOTO_SANS_VERSION \
#     SIMPLEWEBAUTHN_VERSION
# then update the versions named in web/templates/base.html, web/templates/console/reports/report.html,
# web/templates/records/_layout.html and the passkey pages (web/templates/auth/second_factor.html, account/). No CDN is used at run time.
set -euo pipefail
htmx=${1:?htmx version, e.g. 2.0.11}
bootstrap=${2:?bootstrap version, e.g. 5.3.8}
vazirmatn=${3:?vazirmatn version, e.g. 33.0.3}
chartjs=${4:?chart.js version, e.g. 4.6.1}
noto=${5:?@fontsource-variable/noto-sans version, e.g. 5.3.0}
webauthn=${6:?@simplewebauthn/browser version, e.g. 14.0.0}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$htmx" "bootstrap@$bootstrap" "vazirmatn@$vazirmatn" "chart.js@$chartjs" "@fontsource-variable/noto-sans@$noto" \
  "@simplewebauthn/browser@$webauthn" >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
cp "htmx.org-$htmx/package/dist/htmx.min.js" "$here/htmx-$htmx.min.js"
cp "bootstrap-$bootstrap/package/dist/css/bootstrap.min.css" "$here/bootstrap-$bootstrap.min.css"
cp "bootstrap-$bootstrap/package/dist/css/bootstrap.rtl.min.css" "$here/bootstrap-$bootstrap.rtl.min.css"
cp "chart.js-$chartjs/package/dist/chart.umd.min.js" "$here/chart-$chartjs.umd.min.js"
cp "chart.js-$chartjs/package/LICENSE.md" "$here/chart-LICENSE.md"
cp "simplewebauthn-browser-$webauthn/package/dist/bundle/index.umd.min.js" "$here/simplewebauthn-browser-$webauthn.umd.min.js"
cp "simplewebauthn-browser-$webauthn/package/LICENSE.md" "$here/simplewebauthn-LICENSE.md"
# Source maps are not shipped; drop the comments that point at them.
sed -i '/sourceMappingURL/d' "$here/bootstrap-$bootstrap.min.css" "$here/bootstrap-$bootstrap.rtl.min.css" "$here/chart-$chartjs.umd.min.js"
mkdir -p "$here/vazirmatn-$vazirmatn"
cp "vazirmatn-$vazirmatn/package/fonts/webfonts/Vazirmatn[wght].woff2" "$here/vazirmatn-$vazirmatn/Vazirmatn-wght.woff2"
cp "vazirmatn-$vazirmatn/package/OFL.txt" "$here/vazirmatn-$vazirmatn/OFL.txt" 2>/dev/null || true
cat > "$here/vazirmatn-$vazirmatn/vazirmatn.css" <<CSS
@font-face {
  font-family: 'Vazirmatn';
  src: url('Vazirmatn-wght.woff2') format('woff2');
  font-weight: 100 900;
  font-style: normal;
  font-display: swap;
}
CSS
# The printed records' Latin and Cyrillic (Kazakh's letters included), one file per script: WeasyPrint takes
# each under its own family name.
mkdir -p "$here/noto-sans-$noto"
for script in latin cyrillic cyrillic-ext; do
  cp "fontsource-variable-noto-sans-$noto/package/files/noto-sans-$script-wght-normal.woff2" "$here/noto-sans-$noto/"
done
cp "fontsource-variable-noto-sans-$noto/package/LICENSE" "$here/noto-sans-$noto/OFL.txt"
echo "vendored htmx $htmx, bootstrap $bootstrap, vazirmatn $vazirmatn, chart.js $chartjs, noto sans $noto," \
  "simplewebauthn $webauthn into $here"
