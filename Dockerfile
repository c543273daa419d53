# Image for docker-compose.yml: builds the server and the dashboard, runs as a non-root user.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev
USER node
EXPOSE 6006
CMD ["node", "bin/lossboard.js", "--logdir", "/logs", "--host", "0.0.0.0"]
