"""The store's web face: HTML pages for the catalog, every bundle and campaign, and the gate's forms
(``storefront.web.pages``); the browser session and CSRF (``storefront.web.session``); app links and the
BitTorrent clients that can read the store's torrents (``storefront.web.links``)."""
