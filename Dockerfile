# Factory: build with the TypeScript compiler, run the compiled app with
# production dependencies only, as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    FACTORY_DATA_DIR=/app/.data \
    WORKTREE_DIR=/app/.data/worktrees
# git: workers' worktrees and pushes; ca-certificates: HTTPS to GitHub and the model.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates bubblewrap socat ripgrep \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY app.yml ./
RUN mkdir -p /app/.data && chown -R node:node /app/.data
USER node
EXPOSE 3000
# Worker-only processes serve no HTTP; they count as healthy while running.
HEALTHCHECK --interval=30s --timeout=5s \
  CMD [ "$FACTORY_ROLE" = "worker" ] || node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/factory/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
