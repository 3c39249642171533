/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build goes inside the Python package, where `duto server` serves it at `/` (git-ignored there).
const outDir = fileURLToPath(new URL("../src/duto/server/portal", import.meta.url));

export default defineConfig({
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev` beside a `duto server` on its default port: the API goes to the server.
    proxy: { "/api": "http://127.0.0.1:8642" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
