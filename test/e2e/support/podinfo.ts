/**
 * podinfo's Deployment as Flagger's tutorials install it (kustomize/podinfo/deployment.yaml in
 * stefanprodan/podinfo): its command line names the ports the playground's pod listens on.
 */
export function podinfoDeployment(namespace: string, name = 'podinfo') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'podinfod',
              image: 'ghcr.io/stefanprodan/podinfo:6.0.0',
              command: [
                './podinfo',
                '--port=9898',
                '--port-metrics=9797',
                '--grpc-port=9999',
                '--grpc-service-name=podinfo',
                '--level=info',
                '--random-delay=false',
                '--random-error=false',
              ],
              ports: [
                { name: 'http', containerPort: 9898, protocol: 'TCP' },
                { name: 'http-metrics', containerPort: 9797, protocol: 'TCP' },
                { name: 'grpc', containerPort: 9999, protocol: 'TCP' },
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: 9898 } },
            },
          ],
        },
      },
    },
  };
}
