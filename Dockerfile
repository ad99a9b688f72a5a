# Minimal container image of the gateway (the deployment issue hardens it: non-root user,
# runtime-deps base, device mapping). Build: docker build -t edgeguard .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/EdgeGuard -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["/app/edgeguard"]
CMD ["run"]
