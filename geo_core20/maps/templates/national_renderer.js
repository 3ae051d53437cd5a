/* geo_core20 national LSOA renderer (see geo_core20/maps/national.py).
 *
 * Draws every LSOA of England on one <canvas> from a compact, pre-built geometry asset
 * (quantised Web Mercator rings, zigzag varint deltas, gzip) that the browser fetches once
 * and HTTP-caches; the map script only carries one class character per LSOA, so a change of
 * shading or area restyles the already-decoded geometry instead of resending it.
 * Tooltips and clicks use a grid index plus an even-odd point-in-polygon test.
 *
 * Public: window.geoCore20National.layer(options) -> Leaflet layer; the same object is
 * the hook tests and benchmarks read (styleOf, lsoaAt, drawnCount, drawnCodes, drawn, ...).
 */
(function () {
  'use strict';
  var VERSION = 7;
  var existing = window.geoCore20National;
  if (existing && existing.version === VERSION) { return; }
  var L = window.L;
  var CLASS_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  var PATH_VERTICES = 100;
  var CLASS_OF = {};
  for (var ci = 0; ci < CLASS_CHARS.length; ci++) { CLASS_OF[CLASS_CHARS.charAt(ci)] = ci; }

  var api = {
    version: VERSION,
    layers: [],
    drawn: false,        // true once a layer has drawn all its polygons
    firstDrawnAt: null,  // Date.now() of that first complete draw
    paintedAt: null,     // Date.now() one frame later (the canvas is on screen)
    drawCount: 0,
    lastDrawMs: null,
    lastDrawnPolygons: 0,
    errors: [],
    _cache: {}
  };
  window.geoCore20National = api;

  // --- loading -----------------------------------------------------------------------------

  function resolveUrl(url) {
    // Inside streamlit-folium's iframe the page lives under <base>/component/...; the
    // static route is <base>/app/ + "static/...", so keep any base URL path Streamlit runs under.
    if (!url || url.charAt(0) !== '/' || url.charAt(1) === '/') { return url; }
    var p = window.location.pathname || '';
    var i = p.indexOf('/component/');
    return (i > 0 ? p.slice(0, i) : '') + url;
  }

  function fetchBytes(src) {
    if (src.data) {
      var bin = atob(src.data);
      var u = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { u[i] = bin.charCodeAt(i); }
      return Promise.resolve(u.buffer);
    }
    var gz = typeof DecompressionStream !== 'undefined';
    var early = gz && window.__gc20Prefetch && window.__gc20Prefetch[src.url];
    if (early) {
      // started by the page header (standalone pages), alongside Leaflet and the rest
      delete window.__gc20Prefetch[src.url];
      return early;
    }
    // without DecompressionStream (Safari < 16.4), fetch the uncompressed twin, which the
    // server compresses in transit (Content-Encoding) and the browser inflates itself
    var url = gz ? src.url : src.url.replace(/\.gz$/, '');
    return fetch(resolveUrl(url), {credentials: 'same-origin'}).then(function (r) {
      if (!r.ok) { throw new Error('national map asset: HTTP ' + r.status + ' for ' + src.url); }
      return r.arrayBuffer();
    });
  }

  function merge(parts, total) {
    // chunks (sorted by first LSOA) -> one structure indexed by the global LSOA order;
    // LSOAs of chunks not loaded have no rings and an empty box, so nothing draws or hits them
    var n = total, R = 0, V = 0, i, j, r, p, k;
    for (k = 0; k < parts.length; k++) { R += parts[k].R; V += parts[k].V; }
    var perLsoa = new Uint32Array(n);
    for (k = 0; k < parts.length; k++) {
      p = parts[k];
      for (j = 0; j < p.n; j++) { perLsoa[p.start + j] = p.lsoaRing[j + 1] - p.lsoaRing[j]; }
    }
    var lsoaRing = new Uint32Array(n + 1);
    for (i = 0; i < n; i++) { lsoaRing[i + 1] = lsoaRing[i] + perLsoa[i]; }
    var ringVert = new Uint32Array(R + 1), xy = new Int32Array(2 * V);
    var edgeFlags = new Uint8Array(V), partStart = new Uint8Array(R);
    var bbox = new Int32Array(4 * n), loaded = new Uint8Array(n);
    for (i = 0; i < n; i++) {
      bbox[4 * i] = 2147483647; bbox[4 * i + 1] = 2147483647;
      bbox[4 * i + 2] = -2147483648; bbox[4 * i + 3] = -2147483648;
    }
    // tooltip facts copied field by field (a loop over the keys per LSOA was ~half the merge);
    // the code -> LSOA index is built on first use (codeIndex), not on the way to the first paint
    var fields = {}, core20 = [], at = 0, rBase = 0, vBase = 0;
    var keys = Object.keys(parts[0].fields).filter(function (key) { return key !== 'core20'; });
    keys.forEach(function (key) { fields[key] = new Array(n); });
    for (k = 0; k < parts.length; k++) {
      p = parts[k];
      for (r = 0; r < p.R; r++) { ringVert[rBase + r + 1] = vBase + p.ringVert[r + 1]; }
      xy.set(p.xy, 2 * vBase);
      edgeFlags.set(p.edgeFlags, vBase);
      partStart.set(p.partStart, rBase);
      loaded.fill(1, p.start, p.start + p.n);
      for (var f = 0; f < keys.length; f++) {
        var dst = fields[keys[f]], src = p.fields[keys[f]];
        for (j = 0; j < p.n; j++) { dst[p.start + j] = src[j]; }
      }
      if (p.start > at) { core20.push('0'.repeat(p.start - at)); }
      core20.push(p.fields.core20);
      at = p.start + p.n;
      var pxy = p.xy, pRing = p.lsoaRing, pVert = p.ringVert;
      for (j = 0; j < p.n; j++) {
        i = p.start + j;
        var x0 = 2147483647, y0 = 2147483647, x1 = -2147483648, y1 = -2147483648;
        for (var v = pVert[pRing[j]], ve = pVert[pRing[j + 1]]; v < ve; v++) {
          var px = pxy[2 * v], py = pxy[2 * v + 1];
          if (px < x0) { x0 = px; } if (px > x1) { x1 = px; }
          if (py < y0) { y0 = py; } if (py > y1) { y1 = py; }
        }
        bbox[4 * i] = x0; bbox[4 * i + 1] = y0; bbox[4 * i + 2] = x1; bbox[4 * i + 3] = y1;
      }
      rBase += p.R;
      vBase += p.V;
    }
    if (n > at) { core20.push('0'.repeat(n - at)); }
    fields.core20 = core20.join('');
    var head = parts[0].head;
    return {version: VERSION, vintage: head.vintage, n: n, q: head.q, scale: Math.pow(2, head.q),
            lsoaRing: lsoaRing, ringVert: ringVert, xy: xy, edgeFlags: edgeFlags, partStart: partStart,
            bbox: bbox, loaded: loaded, fields: fields, index: null, grid: null};
  }

  function codeIndex(geo) {
    // LSOA code -> position (loaded LSOAs only), built once per geometry when first asked
    if (!geo.index) {
      var index = {}, codes = geo.fields.lsoa_code;
      for (var i = 0; i < geo.n; i++) { if (geo.loaded[i]) { index[codes[i]] = i; } }
      geo.index = index;
    }
    return geo.index;
  }

  function ourTop() {
    // the top (Streamlit) page when this map is in an iframe of the same origin, else null
    try {
      var top = window.top;
      if (top && top !== window && top.location.origin === window.location.origin) { return top; }
    } catch (e) { /* cross-origin parent */ }
    return null;
  }

  function sharedStore() {
    // Decoded geometry is kept on the top (Streamlit) page when it is ours: streamlit-folium
    // remounts its iframe whenever the map's script changes, and this way a rerun redraws at
    // once instead of fetching and decoding the asset again.
    var top = ourTop();
    if (top) { return top.__gc20NationalGeo || (top.__gc20NationalGeo = {}); }
    return api._geo || (api._geo = {});
  }

  function chunkKey(c) { return c.url ? resolveUrl(c.url) : ('inline:' + c.hash); }

  // --- decoding, in a worker off the page's main thread ---------------------------------------
  // Fetching, unzipping and decoding England's seven files is ~0.2 s of work that would hold up
  // everything else the page draws on its one main thread (Streamlit's own page included: the map's
  // iframe shares it). A Web Worker does it on another core and hands back the decoded arrays
  // (transferred, not copied). Where no worker can be made (or it fails), the page decodes itself.

  /* gc20:decoder */
  function gunzip(buf) {
    var u = new Uint8Array(buf);
    // A proxy may already have decoded it (Content-Encoding): then it starts with the magic.
    if (u[0] !== 0x1f || u[1] !== 0x8b) { return Promise.resolve(buf); }
    var stream = new Blob([u]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  }

  function bitsToBytes(bytes, pos, count) {
    var out = new Uint8Array(count);
    for (var i = 0; i < count; i++) { out[i] = (bytes[pos + (i >> 3)] >> (i & 7)) & 1; }
    return out;
  }

  function decode(buf) {
    // one asset file (a chunk of consecutive LSOAs, usually one NHS region)
    var bytes = new Uint8Array(buf);
    if (bytes[0] !== 71 || bytes[1] !== 67 || bytes[2] !== 50 || bytes[3] !== 48) {
      throw new Error('national map asset: not a GC20 file');
    }
    var hlen = new DataView(buf).getUint32(4, true);
    var head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
    var pos = 8 + hlen;
    function varint() {
      var v = 0, shift = 0, b;
      do {
        b = bytes[pos++];
        v += (b & 127) * Math.pow(2, shift);
        shift += 7;
      } while (b & 128);
      return v;
    }
    var n = head.n, R = head.rings, V = head.vertices, i, r;
    var lsoaRing = new Uint32Array(n + 1);
    for (i = 0; i < n; i++) { lsoaRing[i + 1] = lsoaRing[i] + varint(); }
    var ringVert = new Uint32Array(R + 1);
    for (r = 0; r < R; r++) { ringVert[r + 1] = ringVert[r] + varint(); }
    var xy = new Int32Array(2 * V);
    var x = 0, y = 0, z, shift, b;
    for (i = 0; i < V; i++) {
      // zigzag varints; |delta| < 2^27 so the fast bit path is exact
      z = 0; shift = 0;
      do { b = bytes[pos++]; z |= (b & 127) << shift; shift += 7; } while (b & 128);
      x += (z >>> 1) ^ -(z & 1);
      z = 0; shift = 0;
      do { b = bytes[pos++]; z |= (b & 127) << shift; shift += 7; } while (b & 128);
      y += (z >>> 1) ^ -(z & 1);
      xy[2 * i] = x; xy[2 * i + 1] = y;
    }
    var edgeFlags = bitsToBytes(bytes, pos, V); pos += (V + 7) >> 3;
    var partStart = bitsToBytes(bytes, pos, R);
    return {head: head, start: head.start, n: n, R: R, V: V, lsoaRing: lsoaRing, ringVert: ringVert, xy: xy,
            edgeFlags: edgeFlags, partStart: partStart, fields: head.fields};
  }

  function workerMain() {
    // in the worker: one message per asset file ({id, url} or {id, buf}); replies with its arrays
    self.onmessage = function (ev) {
      var m = ev.data;
      var got = m.buf ? Promise.resolve(m.buf) : fetch(m.url, {credentials: 'same-origin'}).then(function (r) {
        if (!r.ok) { throw new Error('national map asset: HTTP ' + r.status + ' for ' + m.name); }
        return r.arrayBuffer();
      });
      got.then(function (buf) {
        var n = buf.byteLength;
        return gunzip(buf).then(function (raw) { return {bytes: n, part: decode(raw)}; });
      }).then(function (res) {
        var p = res.part, seen = m.url && self.performance && performance.getEntriesByName(m.url)[0];
        // bytes that came over the network for it (0 when read from the browser's cache)
        var transfer = seen ? seen.transferSize : null;
        self.postMessage({id: m.id, bytes: res.bytes, transferSize: transfer, part: p},
                         [p.lsoaRing.buffer, p.ringVert.buffer, p.xy.buffer, p.edgeFlags.buffer,
                          p.partStart.buffer]);
      }, function (e) {
        self.postMessage({id: m.id, error: String(e && e.message || e)});
      });
    };
  }

  function startDecoder() {
    // a decoding worker: {run(msg, transfer) -> Promise of its reply}; null where none can be made
    try {
      if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL === 'undefined' ||
          typeof DecompressionStream === 'undefined') { return null; }
      var code = [bitsToBytes, decode, gunzip].map(String).join('\n') + '\n(' + String(workerMain) + ')();';
      var url = URL.createObjectURL(new Blob([code], {type: 'text/javascript'}));
      var w = new Worker(url);
      URL.revokeObjectURL(url);
    } catch (e) {
      return null;
    }
    var pending = {}, next = 0, failed = null;
    w.onmessage = function (ev) {
      var m = ev.data, job = pending[m.id];
      if (!job) { return; }
      delete pending[m.id];
      if (m.error) { job.reject(new Error(m.error)); } else { job.resolve(m); }
    };
    w.onerror = function (ev) {
      // the worker itself failed (e.g. a policy forbids it): its jobs, and any later, fall back
      if (ev && ev.preventDefault) { ev.preventDefault(); }
      failed = new Error('worker failed' + (ev && ev.message ? ': ' + ev.message : ''));
      Object.keys(pending).forEach(function (id) { pending[id].reject(failed); });
      pending = {};
    };
    return {
      failed: function () { return failed; },
      run: function (msg, transfer) {
        return new Promise(function (resolve, reject) {
          if (failed) { reject(failed); return; }
          msg.id = ++next;
          pending[msg.id] = {resolve: resolve, reject: reject};
          w.postMessage(msg, transfer || []);
        });
      }
    };
  }
  /* gc20:decoder-end */

  function decoder() {
    // the renderer's own decoding worker, made on first use (null: none, or it failed)
    if (api._worker === undefined) { api._worker = startDecoder(); }
    if (api._worker && api._worker.failed()) { api._worker = null; }
    return api._worker;
  }

  function pageJobs() {
    // jobs the Streamlit page started before this map's iframe existed (maps.national.page_prefetch)
    var top = ourTop();
    return (top && top.__gc20Jobs) || null;
  }

  function decodeHere(c) {
    return fetchBytes(c).then(function (buf) {
      api.assetBytes = (api.assetBytes || 0) + buf.byteLength;
      return gunzip(buf);
    }).then(function (buf) {
      var part = decode(buf);
      part.decodedIn = 'page';
      return part;
    });
  }

  function decodeInWorker(c) {
    // a URL asset in a worker (null: no worker); a failed worker falls back to decodeHere
    if (!c.url) { return null; }
    var abs = new URL(resolveUrl(c.url), window.location.href).href;
    var jobs = pageJobs(), job, w;
    var early = window.__gc20Prefetch && window.__gc20Prefetch[c.url];
    if (jobs && jobs[abs]) {
      job = jobs[abs];
      delete jobs[abs];  // its arrays were handed over once; the shared store keeps the part
      api.startedByPage = (api.startedByPage || 0) + 1;
    } else if (!(w = decoder())) {
      return null;
    } else if (early) {
      delete window.__gc20Prefetch[c.url];
      job = early.then(function (buf) { return w.run({buf: buf, name: c.url}, [buf]); });
    } else {
      job = w.run({url: abs, name: c.url});
    }
    return job.then(function (m) {
      api.assetBytes = (api.assetBytes || 0) + m.bytes;
      (api.workerFetches = api.workerFetches || []).push([abs, m.transferSize]);
      m.part.decodedIn = 'worker';
      return m.part;
    }, function (err) {
      api.workerErrors = (api.workerErrors || 0) + 1;
      if (window.console) { console.warn('geo_core20: decoding in the page instead (' + err + ')'); }
      return decodeHere(c);
    });
  }

  function loadChunk(c, store) {
    var key = chunkKey(c);
    if (store[key] && store[key].version === VERSION) { return Promise.resolve(store[key]); }
    if (!api._cache[key]) {
      api._cache[key] = (decodeInWorker(c) || decodeHere(c)).then(function (part) {
        part.version = VERSION;
        store[key] = part;
        api.decodedIn = part.decodedIn;
        return part;
      });
      api._cache[key].catch(function () { delete api._cache[key]; });
    }
    return api._cache[key];
  }

  function load(src, needed) {
    // the chunks holding any LSOA this layer draws, fetched in parallel, merged once
    var store = sharedStore(), chunks = src.chunks.filter(function (c, k) { return needed[k]; });
    var mkey = 'merged:' + chunks.map(chunkKey).join('|');
    if (store[mkey] && store[mkey].version === VERSION) {
      api.loadMs = 0;
      api.reused = true;
      return Promise.resolve(store[mkey]);
    }
    var t0 = performance.now();
    return Promise.all(chunks.map(function (c) { return loadChunk(c, store); })).then(function (parts) {
      var geo = merge(parts, src.total);
      store[mkey] = geo;
      api.loadMs = performance.now() - t0;
      return geo;
    });
  }

  // --- spatial index and hit testing -------------------------------------------------------

  function buildGrid(geo) {
    var n = geo.n, bb = geo.bbox, i;
    var gx0 = Infinity, gy0 = Infinity, gx1 = -Infinity, gy1 = -Infinity;
    for (i = 0; i < n; i++) {
      if (!geo.loaded[i]) { continue; }
      gx0 = Math.min(gx0, bb[4 * i]); gy0 = Math.min(gy0, bb[4 * i + 1]);
      gx1 = Math.max(gx1, bb[4 * i + 2]); gy1 = Math.max(gy1, bb[4 * i + 3]);
    }
    var cell = Math.max(1, Math.ceil(Math.max(gx1 - gx0, gy1 - gy0) / 256));
    var cols = Math.floor((gx1 - gx0) / cell) + 1, rows = Math.floor((gy1 - gy0) / cell) + 1;
    var counts = new Uint32Array(cols * rows + 1), c, rr;
    function span(j) {
      return [Math.floor((bb[4 * j] - gx0) / cell), Math.floor((bb[4 * j + 1] - gy0) / cell),
              Math.floor((bb[4 * j + 2] - gx0) / cell), Math.floor((bb[4 * j + 3] - gy0) / cell)];
    }
    for (i = 0; i < n; i++) {
      if (!geo.loaded[i]) { continue; }
      var s = span(i);
      for (rr = s[1]; rr <= s[3]; rr++) { for (c = s[0]; c <= s[2]; c++) { counts[rr * cols + c + 1]++; } }
    }
    for (i = 1; i < counts.length; i++) { counts[i] += counts[i - 1]; }
    var items = new Uint32Array(counts[counts.length - 1]);
    var fill = counts.slice(0, cols * rows);
    for (i = 0; i < n; i++) {
      if (!geo.loaded[i]) { continue; }
      var t = span(i);
      for (rr = t[1]; rr <= t[3]; rr++) { for (c = t[0]; c <= t[2]; c++) { items[fill[rr * cols + c]++] = i; } }
    }
    geo.grid = {x0: gx0, y0: gy0, cell: cell, cols: cols, rows: rows, start: counts, items: items};
  }

  function insideLsoa(geo, i, qx, qy) {
    // even-odd over all rings: LSOAs tile the plane, so ring parity equals membership
    var inside = false, xy = geo.xy;
    for (var r = geo.lsoaRing[i]; r < geo.lsoaRing[i + 1]; r++) {
      var s = geo.ringVert[r], e = geo.ringVert[r + 1];
      for (var v = s, w = e - 1; v < e; w = v++) {
        var yi = xy[2 * v + 1], yj = xy[2 * w + 1];
        if ((yi > qy) !== (yj > qy)) {
          var xi = xy[2 * v], xj = xy[2 * w];
          if (qx < (xj - xi) * (qy - yi) / (yj - yi) + xi) { inside = !inside; }
        }
      }
    }
    return inside;
  }

  function toUnits(geo, lat, lng) {
    var s = Math.sin(lat * Math.PI / 180);
    s = Math.max(Math.min(s, 0.9999), -0.9999);
    return [(lng + 180) / 360 * geo.scale, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * geo.scale];
  }

  function toLatLng(geo, qx, qy) {
    var lng = qx / geo.scale * 360 - 180;
    var lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * qy / geo.scale))) * 180 / Math.PI;
    return [Math.round(lat * 1e6) / 1e6, Math.round(lng * 1e6) / 1e6];
  }

  function hit(geo, lat, lng, accept) {
    if (!geo.grid) { buildGrid(geo); }
    var g = geo.grid, q = toUnits(geo, lat, lng);
    var c = Math.floor((q[0] - g.x0) / g.cell), r = Math.floor((q[1] - g.y0) / g.cell);
    if (c < 0 || r < 0 || c >= g.cols || r >= g.rows) { return -1; }
    var cell = r * g.cols + c, bb = geo.bbox;
    for (var k = g.start[cell]; k < g.start[cell + 1]; k++) {
      var i = g.items[k];
      if (q[0] < bb[4 * i] || q[0] > bb[4 * i + 2] || q[1] < bb[4 * i + 1] || q[1] > bb[4 * i + 3]) { continue; }
      if (accept(i) && insideLsoa(geo, i, q[0], q[1])) { return i; }
    }
    return -1;
  }

  // --- text ---------------------------------------------------------------------------------

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[ch];
    });
  }

  function fmt(kind, value, o) {
    // the same wording as the ICB view's tooltips (choropleth.tooltip_frame)
    if (value === null || value === undefined || value === '') { return ''; }
    if (kind === 'int') { return Number(value).toLocaleString('en-GB'); }
    if (kind === 'rank') { return Number(value).toLocaleString('en-GB') + ' of ' + o.nNational.toLocaleString('en-GB'); }
    if (kind === 'score') { return Number(value).toFixed(1); }
    if (kind === 'core20') { return value ? 'Yes' : 'No'; }
    return String(value);
  }

  // --- the layer ----------------------------------------------------------------------------

  var NationalLayer = L.Renderer.extend({
    initialize: function (o) {
      L.Renderer.prototype.initialize.call(this, {padding: o.padding || 0.35, pane: o.pane});
      this._o = o;
      this._geo = null;
      this._hover = -1;
      this._cls = new Int16Array(o.n);
      var members = [];
      for (var c = 0; c < o.palette.length; c++) { members.push([]); }
      var hidden = 0;
      for (var i = 0; i < o.n; i++) {
        var k = CLASS_OF[o.classes.charAt(i)];
        if (k === undefined || k >= o.palette.length) { this._cls[i] = -1; hidden++; continue; }
        this._cls[i] = k;
        members[k].push(i);
      }
      this._members = members;
      this._visibleCount = o.n - hidden;
    },

    onAdd: function (map) {
      var pane = this._o.pane;
      if (!map.getPane(pane)) { map.createPane(pane).style.zIndex = String(this._o.paneZ || 350); }
      L.Renderer.prototype.onAdd.call(this);
      map.on('mousemove', this._onMouseMove, this);
      map.on('mouseout', this._onMouseOut, this);
      map.on('click', this._onMapClick, this);
      // Leaflet's own renderers wait for the moveend that follows a resize (200 ms later)
      map.on('resize', this._update, this);
      api.layers.push(this);
      api.layer = this;
      // a layer added to a kept map (new shading or area drawn in place, ui.map_display) is
      // "drawn" again once it has drawn: paintedAt follows its first draw too
      api.drawn = false;
      var self = this;
      var needed = this._o.src.chunks.map(function (c) { return !!c.needed; });
      load(this._o.src, needed).then(function (geo) {
        if (geo.n !== self._o.n || geo.vintage !== self._o.vintage) {
          throw new Error('national map asset does not match the map (' + geo.n + ' LSOAs, vintage ' +
                          geo.vintage + ')');
        }
        self._geo = geo;
        if (self._map) { self._update(); }
      }).catch(function (err) {
        api.errors.push(String(err));
        if (window.console) { console.error(err); }
        self._showError(err);
      });
    },

    onRemove: function (map) {
      map.off('mousemove', this._onMouseMove, this);
      map.off('mouseout', this._onMouseOut, this);
      map.off('click', this._onMapClick, this);
      map.off('resize', this._update, this);
      if (this._errorControl) { this._errorControl.remove(); this._errorControl = null; }
      this._onMouseOut();
      var at = api.layers.indexOf(this);
      if (at >= 0) { api.layers.splice(at, 1); }
      if (api.layer === this) { api.layer = api.layers[api.layers.length - 1] || null; }
      L.Renderer.prototype.onRemove.call(this);
    },

    _showError: function (err) {
      // say so on the map rather than leave it blank
      if (!this._map || this._errorControl) { return; }
      var ctl = this._errorControl = L.control({position: 'topright'});
      ctl.onAdd = function () {
        var div = L.DomUtil.create('div', 'leaflet-control gc20-national-error');
        div.setAttribute('role', 'alert');
        div.style.cssText = 'background:#fff3cd;border:1px solid #c9a227;padding:6px 8px;max-width:280px;' +
                            'font:12px system-ui,Arial,sans-serif;color:#222;overflow-wrap:anywhere';
        div.textContent = 'The LSOA layer could not be loaded (' + String(err && err.message || err) +
                          '). Rebuild the map assets with "python -m geo_core20 data build" and make ' +
                          'sure static serving is on (.streamlit/config.toml).';
        return div;
      };
      ctl.addTo(this._map);
    },

    _initContainer: function () {
      // fills on one canvas whose CSS opacity is the fill opacity (adjacent fills drawn
      // opaque, so no light seams between them); lines on a second, opaque canvas
      var div = this._container = L.DomUtil.create('div', 'gc20-national');
      div.style.position = 'absolute';
      div.setAttribute('role', 'img');
      div.setAttribute('aria-label', this._o.ariaLabel || 'LSOA map');
      this._fillCanvas = L.DomUtil.create('canvas', 'gc20-national-fill', div);
      this._lineCanvas = L.DomUtil.create('canvas', 'gc20-national-lines', div);
      this._fillCanvas.style.opacity = String(this._o.fillOpacity);
      [this._fillCanvas, this._lineCanvas].forEach(function (c) {
        c.style.position = 'absolute'; c.style.left = '0'; c.style.top = '0';
      });
      this._fillCtx = this._fillCanvas.getContext('2d');
      this._lineCtx = this._lineCanvas.getContext('2d');
    },

    _destroyContainer: function () {
      L.DomUtil.remove(this._container);
      this._container = null;
      this._fillCtx = null;
      this._lineCtx = null;
    },

    _update: function () {
      if (this._map._animatingZoom && this._bounds) { return; }
      L.Renderer.prototype._update.call(this);
      var b = this._bounds, size = b.getSize();
      var ratio = L.Browser.retina ? 2 : 1;
      L.DomUtil.setPosition(this._container, b.min);
      [this._fillCanvas, this._lineCanvas].forEach(function (c) {
        c.width = ratio * size.x;
        c.height = ratio * size.y;
        c.style.width = size.x + 'px';
        c.style.height = size.y + 'px';
      });
      this._draw(ratio);
      this.fire('update');
    },

    _frame: function () {
      // pixels per unit and the offset from units to canvas pixels at the current view
      var map = this._map, geo = this._geo, b = this._bounds, origin = map.getPixelOrigin();
      var k = 256 * Math.pow(2, map.getZoom()) / geo.scale;
      var ox = origin.x + b.min.x, oy = origin.y + b.min.y, size = b.getSize();
      return {k: k, ox: ox, oy: oy, x0: ox / k, y0: oy / k, x1: (ox + size.x) / k, y1: (oy + size.y) / k,
              zoom: map.getZoom()};
    },

    _ring: function (ctx, r, f) {
      var geo = this._geo, xy = geo.xy, s = geo.ringVert[r], e = geo.ringVert[r + 1], k = f.k;
      ctx.moveTo(xy[2 * s] * k - f.ox, xy[2 * s + 1] * k - f.oy);
      for (var v = s + 1; v < e; v++) { ctx.lineTo(xy[2 * v] * k - f.ox, xy[2 * v + 1] * k - f.oy); }
      ctx.closePath();
    },

    _outlineRing: function (ctx, r, f) {
      // only the edges flagged as the outline of the Core20 area (shared Core20 edges skipped)
      var geo = this._geo, xy = geo.xy, fl = geo.edgeFlags, s = geo.ringVert[r], e = geo.ringVert[r + 1];
      var k = f.k, down = false;
      for (var v = s; v < e; v++) {
        if (fl[v]) {
          var w = v + 1 < e ? v + 1 : s;
          if (!down) { ctx.moveTo(xy[2 * v] * k - f.ox, xy[2 * v + 1] * k - f.oy); }
          ctx.lineTo(xy[2 * w] * k - f.ox, xy[2 * w + 1] * k - f.oy);
          down = true;
        } else {
          down = false;
        }
      }
    },

    _inView: function (i, f) {
      var bb = this._geo.bbox;
      return !(bb[4 * i + 2] < f.x0 || bb[4 * i] > f.x1 || bb[4 * i + 3] < f.y0 || bb[4 * i + 1] > f.y1);
    },

    _draw: function (ratio) {
      var fctx = this._fillCtx, lctx = this._lineCtx;
      if (!fctx) { return; }
      [fctx, lctx].forEach(function (ctx) {
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
        ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
        ctx.lineJoin = 'round';
      });
      if (!this._geo) { return; }
      var t0 = performance.now(), o = this._o, geo = this._geo, f = this._frame(), drawn = 0;
      var self = this, i, r, m, list, budget;
      // Paths are flushed every PATH_VERTICES vertices: Skia slows down badly on paths with
      // thousands of sub-paths (one path per class took ~1.4 s for England; ~100-vertex paths ~70 ms).
      function rings(ctx, i, outline) {
        for (var rr = geo.lsoaRing[i]; rr < geo.lsoaRing[i + 1]; rr++) {
          if (outline) { self._outlineRing(ctx, rr, f); } else { self._ring(ctx, rr, f); }
        }
        return geo.ringVert[geo.lsoaRing[i + 1]] - geo.ringVert[geo.lsoaRing[i]];
      }
      // fills, one colour at a time; even-odd so holes (and islands in them) come out right
      for (var cls = 0; cls < this._members.length; cls++) {
        list = this._members[cls];
        if (!list.length) { continue; }
        fctx.fillStyle = o.palette[cls];
        fctx.beginPath();
        budget = 0;
        for (m = 0; m < list.length; m++) {
          i = list[m];
          if (!this._inView(i, f)) { continue; }
          drawn++;
          budget += rings(fctx, i, false);
          if (budget > PATH_VERTICES) { fctx.fill('evenodd'); fctx.beginPath(); budget = 0; }
        }
        fctx.fill('evenodd');
      }
      function strokeAll(select, outline, styles) {
        // one pass per style (halo, then line) over the same chunked paths
        styles.forEach(function (st) {
          lctx.strokeStyle = st[0];
          lctx.lineWidth = st[1];
          lctx.globalAlpha = st[2];
          lctx.beginPath();
          budget = 0;
          for (var j = 0; j < geo.n; j++) {
            if (!select(j)) { continue; }
            budget += rings(lctx, j, outline);
            if (budget > PATH_VERTICES) { lctx.stroke(); lctx.beginPath(); budget = 0; }
          }
          lctx.stroke();
        });
        lctx.globalAlpha = 1;
      }
      var cl = this._cls;
      if (o.edgeWeight > 0 && f.zoom >= o.edgeZoom) {
        strokeAll(function (j) { return cl[j] >= 0 && self._inView(j, f); }, false,
                  [[o.edgeColour, o.edgeWeight, o.edgeOpacity]]);
      }
      if (o.core20Outline) {
        // the outline of the Core20 areas (edges two Core20 LSOAs share are skipped), as the
        // ICB view draws it; thinner and without its halo when zoomed out
        var core = geo.fields.core20, step = o.core20Steps[0];
        for (var s = 0; s < o.core20Steps.length; s++) {
          if (f.zoom >= o.core20Steps[s][0]) { step = o.core20Steps[s]; }
        }
        var st = [[o.core20Colour, step[1], 1]];
        if (step[2] > 0) { st.unshift([o.core20Halo, step[1] + step[2], 0.95]); }
        strokeAll(function (j) { return core.charCodeAt(j) === 49 && cl[j] >= 0 && self._inView(j, f); },
                  true, st);
      }
      this._drawnCount = drawn;
      api.drawCount++;
      api.lastDrawMs = performance.now() - t0;
      api.lastDrawnPolygons = drawn;
      api.lastDrawnAt = Date.now();
      // "drawn" (what tests and benchmarks wait for) means drawn at a settled view
      if (!api.drawn && !this._map._animatingZoom) {
        api.drawn = true;
        api.firstDrawnAt = Date.now();
        api.firstDrawMs = api.lastDrawMs;
        requestAnimationFrame(function () {
          setTimeout(function () {
            api.paintedAt = Date.now();
            window.dispatchEvent(new CustomEvent('gc20-national-drawn'));
          }, 0);
        });
      }
    },

    // --- interaction ------------------------------------------------------------------------

    _hitAt: function (latlng) {
      if (!this._geo) { return -1; }
      var cls = this._cls;
      return hit(this._geo, latlng.lat, latlng.lng, function (i) { return cls[i] >= 0; });
    },

    _properties: function (i) {
      var F = this._geo.fields, props = {};
      for (var key in F) {
        if (!Object.prototype.hasOwnProperty.call(F, key)) { continue; }
        props[key] = key === 'core20' ? F.core20.charAt(i) === '1' : F[key][i];
      }
      var k = this._cls[i];
      props.vintage = this._o.vintage;
      props.shade = this._o.shade;
      props.shade_class = k >= 0 ? this._o.labels[k] : null;
      props.shade_value = k >= 0 ? this._o.shadeValues[k] : null;
      return props;
    },

    _tooltipHtml: function (i) {
      var props = this._properties(i), rows = '', fields = this._o.tooltipFields;
      for (var j = 0; j < fields.length; j++) {
        var kind = fields[j][2];
        var value = kind === 'shade' ? props.shade_value : fmt(kind, props[fields[j][0]], this._o);
        rows += '<tr><th>' + esc(fields[j][1]) + '</th><td>' + esc(value) + '</td></tr>';
      }
      return '<table>' + rows + '</table>';
    },

    _feature: function (i) {
      // GeoJSON of one LSOA: rings flagged as part starts open a new polygon, the rest are holes
      var geo = this._geo, polys = [], current = null;
      for (var r = geo.lsoaRing[i]; r < geo.lsoaRing[i + 1]; r++) {
        var ring = [];
        for (var v = geo.ringVert[r]; v < geo.ringVert[r + 1]; v++) {
          var ll = toLatLng(geo, geo.xy[2 * v], geo.xy[2 * v + 1]);
          ring.push([ll[1], ll[0]]);
        }
        ring.push(ring[0]);
        if (!current || geo.partStart[r]) { current = []; polys.push(current); }
        current.push(ring);
      }
      var geom = polys.length === 1 ? {type: 'Polygon', coordinates: polys[0]}
                                    : {type: 'MultiPolygon', coordinates: polys};
      return {type: 'Feature', properties: this._properties(i), geometry: geom};
    },

    _onMouseMove: function (e) {
      var i = this._hitAt(e.latlng), map = this._map;
      if (i < 0) { this._onMouseOut(); return; }
      if (!this._tooltip) {
        // direction 'auto': the tooltip opens on the side of the pointer with room, inside the map
        this._tooltip = L.tooltip({sticky: true, direction: 'auto', className: 'gc20-tooltip gc20-national-tooltip'});
      }
      if (i !== this._hover) {
        this._hover = i;
        this._tooltip.setContent(this._tooltipHtml(i));
        this._highlight(i);
        map.getContainer().style.cursor = 'pointer';
      }
      // open on the side of the pointer with room, measured on the container itself (Leaflet's
      // 'auto' uses the map's cached size, stale after streamlit-folium resizes its iframe)
      var width = map.getContainer().clientWidth;
      this._tooltip.options.direction = e.containerPoint && e.containerPoint.x > width / 2 ? 'left' : 'right';
      this._tooltip.setLatLng(e.latlng);
      if (!map.hasLayer(this._tooltip)) { map.openTooltip(this._tooltip); }
    },

    _onMouseOut: function () {
      var map = this._map;
      this._hover = -1;
      if (map && this._tooltip && map.hasLayer(this._tooltip)) { map.closeTooltip(this._tooltip); }
      if (this._hl) { this._hl.remove(); this._hl = null; }
      if (map) { map.getContainer().style.cursor = ''; }
    },

    _highlight: function (i) {
      if (this._hl) { this._hl.remove(); }
      var g = this._feature(i).geometry;
      var polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
      var latlngs = polys.map(function (p) {
        return p.map(function (ring) { return ring.map(function (c) { return [c[1], c[0]]; }); });
      });
      if (!this._hlRenderer) { this._hlRenderer = L.svg({padding: 0.2}); }
      this._hl = L.polygon(latlngs, {interactive: false, fill: false, color: this._o.highlightColour,
                                     weight: this._o.highlightWeight, renderer: this._hlRenderer})
        .addTo(this._map);
    },

    _onMapClick: function (e) {
      var i = this._hitAt(e.latlng);
      if (i < 0) { return; }
      var feature = this._feature(i), html = this._tooltipHtml(i);
      // shaped like a GeoJSON sub-layer so streamlit-folium reports it as it does for the
      // ICB view: last_active_drawing (properties) and last_object_clicked_tooltip
      var target = {
        feature: feature,
        toGeoJSON: function () { return feature; },
        _tooltip: {_content: html},
        getTooltip: function () { return {getContent: function () { return html; }}; }
      };
      this.fire('click', {latlng: e.latlng, layer: target, sourceTarget: target,
                          originalEvent: e.originalEvent, lsoa: feature.properties.lsoa_code});
    },

    // --- hooks for tests, benchmarks and pages ------------------------------------------------

    drawnCodes: function () {
      // the LSOAs the last draw filled (shown, and in the drawn part of the map), as _draw picks them
      if (!this._geo || !this._map || this._drawnCount === undefined) { return []; }
      var f = this._frame(), codes = this._geo.fields.lsoa_code, out = [];
      for (var c = 0; c < this._members.length; c++) {
        for (var m = 0; m < this._members[c].length; m++) {
          if (this._inView(this._members[c][m], f)) { out.push(codes[this._members[c][m]]); }
        }
      }
      return out;
    },

    styleOf: function (code) {
      if (!this._geo) { return null; }
      var i = codeIndex(this._geo)[code];
      if (i === undefined) { return null; }
      var k = this._cls[i], core = this._geo.fields.core20.charAt(i) === '1';
      return {visible: k >= 0, classIndex: k, fill: k >= 0 ? this._o.palette[k] : null,
              label: k >= 0 ? this._o.labels[k] : null, core20: core,
              outlined: core && k >= 0 && !!this._o.core20Outline};
    }
  });

  api.layer = null;
  api.NationalLayer = NationalLayer;
  api.create = function (options) { return new NationalLayer(options); };
  api.load = load;
  api.styleOf = function (code) { return api.layer ? api.layer.styleOf(code) : null; };
  // how many LSOAs the current layer filled in its last complete draw (0 before its geometry is in)
  api.drawnCount = function () {
    var lyr = api.layer;
    return lyr && lyr._geo && lyr._drawnCount !== undefined ? lyr._drawnCount : 0;
  };
  api.drawnCodes = function () { return api.layer ? api.layer.drawnCodes() : []; };
  api.lsoaAt = function (lat, lng) {
    var lyr = api.layer;
    if (!lyr || !lyr._geo) { return null; }
    var i = lyr._hitAt(L.latLng(lat, lng));
    return i < 0 ? null : lyr._geo.fields.lsoa_code[i];
  };
  api.ready = function () {
    return new Promise(function (resolve) {
      if (api.drawn) { resolve(true); return; }
      window.addEventListener('gc20-national-drawn', function () { resolve(true); }, {once: true});
    });
  };
})();
