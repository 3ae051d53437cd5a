// geo_core20 shared geometry (maps/shared_geometry.py): fetch a map's view-constant GeoJSON once
// and keep it parsed on the Streamlit page, so a new layer of the same view sends only its classes.
(function () {
  if (window.gc20Shared) { return; }
  var MAX_KEPT = 12;  // parsed views kept per page (an ICB is ~1 MB parsed)

  function store() {
    // on the top (Streamlit) page when it is ours: it outlives streamlit-folium's iframes
    try {
      var top = window.top;
      if (top && top !== window && top.location.origin === window.location.origin) {
        return top.__gc20SharedGeo || (top.__gc20SharedGeo = {keys: [], got: {}});
      }
    } catch (e) { /* cross-origin parent: keep it per page */ }
    return window.__gc20SharedGeo || (window.__gc20SharedGeo = {keys: [], got: {}});
  }

  function resolveUrl(url) {
    // inside the component's iframe (<base>/component/...): keep any base path Streamlit runs under
    var p = window.location.pathname || '';
    var i = p.indexOf('/component/');
    return (i > 0 ? p.slice(0, i) : '') + url;
  }

  function text(url) {
    var gz = typeof DecompressionStream !== 'undefined';
    // without DecompressionStream, the uncompressed twin (the server may compress it in transit)
    return fetch(resolveUrl(gz ? url : url.replace(/\.gz$/, '')), {credentials: 'same-origin'})
      .then(function (r) {
        if (!r.ok) { throw new Error('shared map geometry: HTTP ' + r.status + ' for ' + url); }
        return r.arrayBuffer();
      }).then(function (buf) {
        var u = new Uint8Array(buf);
        if (u[0] !== 0x1f || u[1] !== 0x8b) { return new TextDecoder().decode(u); }  // already inflated
        return new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
      });
  }

  function load(url) {
    var s = store();
    if (!s.got[url]) {
      s.got[url] = text(url).then(JSON.parse);
      s.got[url].catch(function () { delete s.got[url]; });
      s.keys.push(url);
      while (s.keys.length > MAX_KEPT) { delete s.got[s.keys.shift()]; }
    }
    return s.got[url];
  }

  function join(geo, extra) {
    // the view's features with this map's own fields (extra.keys, one row per feature) added
    var keys = extra.keys, rows = extra.rows;
    return {type: 'FeatureCollection', features: geo.features.map(function (f, i) {
      var p = {}, k;
      for (k in f.properties) { p[k] = f.properties[k]; }
      for (k = 0; k < keys.length; k++) { p[keys[k]] = rows[i][k]; }
      var out = {type: 'Feature', geometry: f.geometry, properties: p};
      if (f.id !== undefined) { out.id = f.id; }
      return out;
    })};
  }

  window.gc20Shared = {load: load, join: join};
})();
