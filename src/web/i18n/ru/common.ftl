# Макет, вход и ошибки: общие для всех страниц.
app-name = SMS-шлюз
skip-to-content = К содержимому
nav-label = Главное меню
nav-overview = Обзор
nav-send = Отправить
nav-messages = Сообщения
nav-conversations = Переписка
nav-contacts = Контакты
nav-segments = Сегменты
nav-campaigns = Рассылки
nav-automations = Автоматизации
nav-surveys = Опросы
nav-optouts = Отписки
nav-settings = Настройки
language = Язык
sign-out = Выйти
times-shown-in = Время указано в поясе { $zone }.
back-to-overview = Вернуться к обзору
login-title = Вход
login-intro = Войдите, чтобы управлять SMS-шлюзом.
login-user = Пользователь
login-password = Пароль или API-токен
login-submit = Войти
login-wrong = Неверный пользователь или пароль.
login-stale = Страница входа устарела. Попробуйте ещё раз.
login-too-many = Слишком много попыток. Подождите минуту и попробуйте снова.
login-users-file = Файл пользователей не читается; см. журнал шлюза. Войти можно с API-токеном.
login-no-users = Пароль для панели ещё не задан. Войдите с API-токеном (из файла токена) или задайте пароль на шлюзе: sudo simfleet passwd
login-token-hint = Вместо пароля можно ввести API-токен.
error-generic = Что-то пошло не так
error-not_found = Не найдено
error-csrf = Страница устарела
error-internal = Внутренняя ошибка
error-unauthorized = Войдите в систему
messages-count = { $count ->
    [one] { $count } сообщение
    [few] { $count } сообщения
   *[many] { $count } сообщений
}
