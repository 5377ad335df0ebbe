# La plantilla, el acceso y los errores: comunes a todas las páginas.
app-name = Pasarela SMS
skip-to-content = Ir al contenido
nav-label = Principal
nav-overview = Resumen
nav-send = Enviar
nav-messages = Mensajes
nav-conversations = Conversaciones
nav-contacts = Contactos
nav-segments = Segmentos
nav-campaigns = Campañas
nav-automations = Automatizaciones
nav-surveys = Encuestas
nav-optouts = Bajas
nav-settings = Ajustes
language = Idioma
sign-out = Salir
times-shown-in = Las horas se muestran en { $zone }.
back-to-overview = Volver al resumen
login-title = Iniciar sesión
login-intro = Inicie sesión para gestionar su pasarela SMS.
login-user = Usuario
login-password = Contraseña o token de la API
login-submit = Entrar
login-wrong = Usuario o contraseña incorrectos.
login-stale = La página de acceso estaba desactualizada. Inténtelo de nuevo.
login-too-many = Demasiados intentos. Espere un minuto y vuelva a intentarlo.
login-users-file = No se puede leer el archivo de usuarios; vea el registro de la pasarela. Aún puede entrar con el token de la API.
login-no-users = Aún no hay contraseña para el panel. Entre con el token de la API (del archivo del token) o defina una contraseña en la pasarela: sudo simfleet passwd
login-token-hint = También puede entrar con el token de la API como contraseña.
error-generic = Algo salió mal
error-not_found = No encontrado
error-csrf = La página estaba desactualizada
error-internal = Error interno
error-unauthorized = Inicie sesión
messages-count = { $count ->
    [one] { $count } mensaje
   *[other] { $count } mensajes
}
